#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// Small text conversions shared by the settings table and its loaders.
namespace parley::config {

std::optional<bool> parse_bool(std::string_view text);
std::optional<double> parse_double(std::string_view text);
std::string format_double(double x);
/// Splits "a, b,,c" into {"a","b","c"}.
std::vector<std::string> split_list(std::string_view text);
std::string join_list(const std::vector<std::string>& items);
/// "postgresql://u:secret@h/db" -> "postgresql://u:***@h/db", for logs and messages.
std::string redact_url(std::string_view url);

}  // namespace parley::config
