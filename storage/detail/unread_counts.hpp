#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "storage/types.hpp"

namespace parley::storage::detail {

/// The smallest read marker among `members` (0 when empty): the messages after it are all
/// that an unread_counter needs.
int64_t min_read(const std::unordered_map<std::string, room_summary>& members);

/// Sets `unread` of every line in `members` (by user id; `read` set) to the number of msg
/// events after its read marker that others sent, from one pass over the room's latest msg
/// events after min_read() (at most unread_window of them), where a COUNT per member made
/// a notice of a big room cost members x backlog (the fan-out profile: a quarter of the
/// broker's CPU for a 2,000-member room nobody reads). The events are fed one at a time,
/// straight from the result rows: a sender is looked at, not copied (a string per row was
/// the reader's largest allocation).
class unread_counter {
public:
  explicit unread_counter(std::unordered_map<std::string, room_summary>& members);

  /// One msg event, in any order; `sender` need only live for the call.
  void add(int64_t seq, std::string_view sender);

  /// Sets every line's `unread`.
  void finish();

private:
  std::unordered_map<std::string, room_summary>& members_;
  std::vector<int64_t> all_;
  /// Per member asked about (the key views the member's id in members_): their own.
  std::unordered_map<std::string_view, std::vector<int64_t>> own_;
};

}  // namespace parley::storage::detail
