#include "config/loader.hpp"

#include <algorithm>
#include <charconv>
#include <set>
#include <toml++/toml.h>

#include "config/setting_table.hpp"

namespace parley::config {
namespace {

/// Applies one layer of textual values; a list setting given in a layer replaces the values
/// of lower layers instead of adding to them.
class layer_writer {
public:
  explicit layer_writer(settings& s) : s_(s) {}

  std::string set(const setting_info& info, std::string_view text, std::string_view origin) {
    if (info.is_list && cleared_.insert(info.key).second)
      info.clear(s_);
    auto err = info.assign(s_, text);
    if (!err.empty())
      return std::string{origin} + ": " + err;
    return {};
  }

private:
  settings& s_;
  std::set<std::string_view> cleared_;
};

std::string toml_scalar_text(const toml::node& n, bool& ok) {
  ok = true;
  if (auto v = n.as_string())
    return v->get();
  if (auto v = n.as_integer())
    return std::to_string(v->get());
  if (auto v = n.as_floating_point()) {
    char buf[32];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v->get());
    return std::string(buf, p);
  }
  if (auto v = n.as_boolean())
    return v->get() ? "true" : "false";
  ok = false;
  return {};
}

std::string apply_toml_table(const toml::table& table, const std::string& prefix,
                             layer_writer& out, const std::string& file) {
  for (auto&& [k, node] : table) {
    std::string key = prefix.empty() ? std::string{k.str()} : prefix + "." + std::string{k.str()};
    if (auto sub = node.as_table()) {
      if (auto err = apply_toml_table(*sub, key, out, file); !err.empty())
        return err;
      continue;
    }
    auto info = find_by_key(key);
    if (!info)
      return file + ": unknown setting '" + key + "'";
    std::string origin = file + ": " + key;
    if (auto arr = node.as_array()) {
      if (!info->is_list)
        return origin + ": expected a single value";
      std::string joined;
      for (auto& item : *arr) {
        bool ok = false;
        auto text = toml_scalar_text(item, ok);
        if (!ok)
          return origin + ": list items must be scalars";
        joined += (joined.empty() ? "" : ",") + text;
      }
      if (auto err = out.set(*info, joined, origin); !err.empty())
        return err;
      continue;
    }
    bool ok = false;
    auto text = toml_scalar_text(node, ok);
    if (!ok)
      return origin + ": unsupported value type";
    if (auto err = out.set(*info, text, origin); !err.empty())
      return err;
  }
  return {};
}

bool is_extra(std::string_view flag, std::span<const std::string_view> extra) {
  for (auto e : extra)
    if (e == flag)
      return true;
  return false;
}

/// The SQLite file's directory ("/x.db" -> "/"), or ./parley-data for other stores.
std::string data_dir_for_store(std::string_view store) {
  if (!store.starts_with("sqlite:"))
    return std::string{"./parley-data"};
  auto path = store.substr(7);
  auto slash = path.rfind('/');
  if (slash == std::string_view::npos)
    return std::string(1, '.');
  return std::string{path.substr(0, slash == 0 ? 1 : slash)};
}

}  // namespace

load_result load_settings(std::span<const std::string> args, const env_lookup& env,
                          std::span<const std::string_view> extra_flags) {
  load_result r;

  // Pass 1: split the arguments into (flag, value) pairs and find --config.
  struct flag_value {
    std::string flag, value;
    const setting_info* info;
  };
  std::vector<flag_value> flags;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (!a.starts_with("--")) {
      r.error = "unexpected argument '" + std::string{a} + "'";
      return r;
    }
    std::string flag{a}, value;
    bool has_value = false;
    if (auto eq = a.find('='); eq != std::string_view::npos) {
      flag = std::string{a.substr(0, eq)};
      value = std::string{a.substr(eq + 1)};
      has_value = true;
    }
    const setting_info* info = find_by_flag(flag);
    bool extra = is_extra(flag, extra_flags);
    if (!info && !extra && flag != "--config") {
      r.error = "unknown flag '" + flag + "'";
      return r;
    }
    if (!has_value) {
      if (info && info->is_switch && (i + 1 >= args.size() || args[i + 1].starts_with("--"))) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        r.error = "flag '" + flag + "' needs a value";
        return r;
      }
    }
    if (flag == "--config")
      r.config_file = value;
    else if (extra)
      r.extra[flag] = value;
    else
      flags.push_back({flag, value, info});
  }

  layer_writer file_layer{r.values};
  if (r.config_file.empty())
    if (auto p = env("PARLEY_CONFIG"); p && *p)
      r.config_file = p;
  if (!r.config_file.empty()) {
    try {
      auto table = toml::parse_file(r.config_file);
      if (auto err = apply_toml_table(table, "", file_layer, r.config_file); !err.empty()) {
        r.error = err;
        return r;
      }
    } catch (const toml::parse_error& e) {
      r.error = r.config_file + ": " + std::string{e.description()};
      return r;
    }
  }

  layer_writer env_layer{r.values};
  for (auto& info : setting_table()) {
    std::string name{info.env};
    if (auto p = env(name.c_str()); p) {
      if (auto err = env_layer.set(info, p, name); !err.empty()) {
        r.error = err;
        return r;
      }
    }
  }

  layer_writer flag_layer{r.values};
  for (auto& f : flags)
    if (auto err = flag_layer.set(*f.info, f.value, f.flag); !err.empty()) {
      r.error = err;
      return r;
    }
  return r;
}

void resolve_defaults(settings& s, unsigned hw) {
  if (hw == 0)
    hw = 1;
  if (s.data_dir.empty())
    s.data_dir = data_dir_for_store(s.store);
  if (s.store.empty())
    s.store = "sqlite:" + s.data_dir + "/parley.db";
  if (s.io_threads == 0)
    s.io_threads = static_cast<int>(hw >= 4 ? hw / 2 : 1);
  if (s.scheduler_threads == 0)
    s.scheduler_threads = static_cast<int>(hw);
  auto per_core = std::max(2, static_cast<int>(hw));
  if (s.store.starts_with("sqlite:"))
    s.writers = 1;  // SQLite has one write lock: more writers would only wait for it
  else if (s.writers == 0)
    s.writers = per_core;
  if (s.readers == 0)
    s.readers = per_core;
}

bool split_host_port(std::string_view text, std::string& host, uint16_t& port) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    return false;
  auto h = text.substr(0, colon);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']')
    h = h.substr(1, h.size() - 2);
  auto p = text.substr(colon + 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
  if (ec != std::errc{} || end != p.data() + p.size() || value > 65535)
    return false;
  host = std::string{h};
  port = static_cast<uint16_t>(value);
  return true;
}

bool is_loopback_host(std::string_view host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

dev_token_policy decide_dev_tokens(const settings& s) {
  std::string host;
  uint16_t port = 0;
  bool loopback = split_host_port(s.listen, host, port) && is_loopback_host(host);
  const auto& v = s.dev_tokens;
  if (v == "false" || v == "0")
    return {false, {}};
  if (v == "auto")
    return {loopback, {}};
  if (!loopback)
    return {false, "auth.dev_tokens is on, but the listener " + s.listen +
                       " is not loopback: dev tokens would let anyone sign in as anyone"};
  return {true, {}};
}

}  // namespace parley::config
