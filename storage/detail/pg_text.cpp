#include "storage/detail/pg_text.hpp"

namespace parley::storage::detail {

namespace {

constexpr const char* nul_message = "contains a NUL byte, which PostgreSQL text cannot hold";

}  // namespace

bool has_nul(std::string_view text) {
  return text.find('\0') != std::string_view::npos;
}

std::string text_array(std::span<const std::string_view> values) {
  std::string out{"{"};
  for (auto v : values) {
    if (out.size() > 1)
      out += ',';
    out += '"';
    for (char c : v) {
      if (c == '"' || c == '\\')
        out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::optional<std::string> unstorable(const room_writes& w) {
  if (has_nul(w.room))
    return std::string{"the room id "} + nul_message;
  for (const auto& e : w.events)
    if (has_nul(e.sender) || has_nul(e.cid) || has_nul(e.body) || has_nul(e.subtype)
        || has_nul(e.meta))
      return "event " + std::to_string(e.seq) + " " + nul_message;
  for (const auto& m : w.reads)
    if (has_nul(m.user))
      return std::string{"a read marker's user "} + nul_message;
  for (const auto& m : w.members)
    if (has_nul(m.user))
      return std::string{"a membership change's user "} + nul_message;
  return std::nullopt;
}

std::optional<std::string> unstorable(const room_record& r) {
  if (has_nul(r.id) || has_nul(r.title) || has_nul(r.created_by))
    return "room " + r.id.substr(0, r.id.find('\0')) + " " + nul_message;
  for (const auto& m : r.members)
    if (has_nul(m.user))
      return "a member of room " + r.id + " " + nul_message;
  return std::nullopt;
}

}  // namespace parley::storage::detail
