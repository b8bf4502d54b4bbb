#pragma once

#include <string>

namespace parley::config {

/// The configuration reference as a Markdown table (key, flag, environment, default, what
/// it does), generated from the settings table; docs/operations.md embeds it and a test
/// checks that the copy there is current.
std::string settings_reference_markdown();

/// The same settings as plain text for `parley serve --help`: flag, default, environment
/// variable and meaning, one block per setting.
std::string settings_reference_text();

}  // namespace parley::config
