#include "config/text.hpp"

#include <charconv>

namespace parley::config {

std::optional<bool> parse_bool(std::string_view t) {
  if (t == "true" || t == "1" || t == "yes" || t == "on")
    return true;
  if (t == "false" || t == "0" || t == "no" || t == "off")
    return false;
  return std::nullopt;
}

std::optional<double> parse_double(std::string_view t) {
  double x = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), x);
  if (ec != std::errc{} || p != t.data() + t.size() || t.empty())
    return std::nullopt;
  return x;
}

std::string format_double(double x) {
  char buf[32];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, p);
}

std::vector<std::string> split_list(std::string_view t) {
  std::vector<std::string> out;
  while (!t.empty()) {
    auto comma = t.find(',');
    auto item = t.substr(0, comma);
    while (!item.empty() && item.front() == ' ')
      item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ')
      item.remove_suffix(1);
    if (!item.empty())
      out.emplace_back(item);
    if (comma == std::string_view::npos)
      break;
    t.remove_prefix(comma + 1);
  }
  return out;
}

std::string join_list(const std::vector<std::string>& items) {
  std::string out;
  for (auto& i : items) {
    if (!out.empty())
      out += ',';
    out += i;
  }
  return out;
}

}  // namespace parley::config

namespace parley::config {

std::string redact_url(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme == std::string_view::npos)
    return std::string{url};
  auto auth_start = scheme + 3;
  auto at = url.find('@', auth_start);
  auto slash = url.find('/', auth_start);
  if (at == std::string_view::npos || (slash != std::string_view::npos && slash < at))
    return std::string{url};
  auto colon = url.find(':', auth_start);
  if (colon == std::string_view::npos || colon > at)
    return std::string{url};
  return std::string{url.substr(0, colon + 1)} + "***" + std::string{url.substr(at)};
}

}  // namespace parley::config
