#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "storage/types.hpp"

namespace parley::storage::detail {

/// A `msg` event as the unread counts need it.
struct msg_sender {
  int64_t seq = 0;
  std::string sender;
};

/// The smallest read marker among `members` (0 when empty): the messages after it are all
/// that count_unread_all needs.
int64_t min_read(const std::unordered_map<std::string, room_summary>& members);

/// Sets `unread` of every line in `members` (by user id; `read` set) to the number of `msgs`
/// after its read marker that others sent. `msgs`: the room's latest msg events after
/// min_read() (at most unread_window of them), in seq order. One pass over the messages for all members, where a COUNT per member made
/// a notice of a big room cost members x backlog (the fan-out profile: a quarter of the
/// broker's CPU for a 2,000-member room nobody reads).
void count_unread_all(std::unordered_map<std::string, room_summary>& members,
                      const std::vector<msg_sender>& msgs);

}  // namespace parley::storage::detail
