#pragma once

#include <vector>

#include "storage/types.hpp"

namespace parley::storage::detail {

/// Derives what `history` shows from the log: a page of messages plus the later edit,
/// delete and react events that target them. Plain C++ over storage types, so every store
/// can fold the same way (the conformance suite holds them to it).
///
/// Rules: an edit replaces the body and sets edited_ts (ignored once deleted); a delete
/// empties the body; a react with subtype "on" adds its sender to the emoji's users (at the
/// end, once), "off" removes them. Reactions come out sorted by emoji, emojis without users
/// dropped. Events whose target is not in the page are ignored.
class message_fold {
public:
  /// `messages`: msg events in ascending seq.
  explicit message_fold(std::vector<event> messages);

  /// Feed targeting events in ascending seq.
  void apply(const event& e);

  std::vector<message_state> finish() &&;

private:
  message_state* find(int64_t seq);

  std::vector<message_state> states_;
};

}  // namespace parley::storage::detail
