#pragma once

#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.hpp"

namespace parley::config {

/// Looks up an environment variable; returns nullptr when unset. Tests pass a fake.
using env_lookup = std::function<const char*(const char* name)>;

struct load_result {
  settings values;
  /// Flags the caller asked for in `extra_flags` (e.g. `token --user`), by flag name.
  std::map<std::string, std::string> extra;
  std::string config_file;  ///< The TOML file that was read, if any.
  std::string error;        ///< Non-empty: the first problem found; `values` is then unusable.
};

/// Builds the settings with the precedence of DESIGN.md: flag > environment > file > default.
/// `args` are the arguments after the sub-command. The file comes from `--config FILE` or
/// PARLEY_CONFIG. Unknown flags, bad values and unknown TOML keys are errors.
load_result load_settings(std::span<const std::string> args, const env_lookup& env,
                          std::span<const std::string_view> extra_flags = {});

/// Fills in what depends on other settings (store and data_dir defaults, thread counts).
void resolve_defaults(settings& s, unsigned hardware_threads);

/// Whether POST /api/dev/token is served; "" when allowed, else why the setting is refused.
struct dev_token_policy {
  bool enabled = false;
  std::string error;
};
dev_token_policy decide_dev_tokens(const settings& s);

/// "127.0.0.1:8080" -> host and port; false when malformed.
bool split_host_port(std::string_view text, std::string& host, uint16_t& port);
bool is_loopback_host(std::string_view host);

}  // namespace parley::config
