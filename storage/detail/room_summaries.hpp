#pragma once

#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "storage/types.hpp"

namespace parley::storage::detail {

/// Lays out the answer of store::room_summaries, the same way for every store: one entry
/// per element of `users`, in their order (repeats repeated). `members` holds the lines of
/// the members among them by user id, without `last`; each of their entries gets a copy of
/// `last` (the room's latest message, read once for the room). Everybody else gets an entry
/// with an empty `room`.
inline std::vector<room_summary>
summaries_in_request_order(std::span<const std::string> users,
                           const std::unordered_map<std::string, room_summary>& members,
                           const std::optional<message_state>& last) {
  std::vector<room_summary> out(users.size());
  for (size_t i = 0; i < users.size(); ++i) {
    auto m = members.find(users[i]);
    if (m == members.end())
      continue;
    out[i] = m->second;
    out[i].last = last;
  }
  return out;
}

}  // namespace parley::storage::detail
