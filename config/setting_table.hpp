#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "config/settings.hpp"

namespace parley::config {

/// The one list of settings: TOML key, command-line flag, environment variable and help text,
/// and how to store a textual value. Flags, environment, file and the generated configuration
/// reference (docs/operations.md) all read this table, so they cannot drift apart.
struct setting_info {
  std::string_view key;    ///< TOML key, dotted: "limits.frame".
  std::string_view flag;   ///< "--limits-frame"; always takes a value unless is_switch.
  std::string_view env;    ///< "PARLEY_LIMITS_FRAME".
  std::string_view help;   ///< What it does and what happens at the limit.
  bool is_switch = false;  ///< A bare flag means "true".
  bool is_list = false;    ///< Repeated flag / comma-separated env / TOML array.
  /// Stores `text` into the settings; returns an error message or "".
  std::function<std::string(settings&, std::string_view text)> assign;
  /// Renders the current value (defaults in the generated reference).
  std::function<std::string(const settings&)> show;
  /// Lists only: empties the list, so that a higher layer replaces rather than appends.
  std::function<void(settings&)> clear;
};

std::span<const setting_info> setting_table();

const setting_info* find_by_flag(std::string_view flag);
const setting_info* find_by_key(std::string_view key);

}  // namespace parley::config
