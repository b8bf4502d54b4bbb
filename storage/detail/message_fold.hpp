#pragma once

#include <algorithm>
#include <vector>

#include "storage/error.hpp"
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

  /// Goes on from states an earlier fold finished with (ascending seq).
  explicit message_fold(std::vector<message_state> states) : states_(std::move(states)) {}

  /// Feed targeting events in ascending seq.
  void apply(const event& e);

  std::vector<message_state> finish() &&;

private:
  message_state* find(int64_t seq);

  std::vector<message_state> states_;
};

/// Turns the rows of a history query into its page, the same way for every store: `msgs`
/// holds up to limit + 1 messages in query order (ascending when `forward`, else
/// descending); the extra row only says `more`. The page comes out ascending, each message
/// in its current state, folded from `changes(first_seq, last_seq)`: the events that target
/// the page's messages, ascending.
template <class FetchChanges>
result<history_page> make_history_page(std::vector<event> msgs, bool forward, int64_t limit,
                                       FetchChanges changes) {
  history_page page;
  page.more = static_cast<int64_t>(msgs.size()) > limit;
  if (page.more)
    msgs.pop_back();
  if (!forward)
    std::reverse(msgs.begin(), msgs.end());
  if (msgs.empty())
    return page;
  auto first = msgs.front().seq;
  auto last = msgs.back().seq;
  message_fold fold{std::move(msgs)};
  result<std::vector<event>> later = changes(first, last);
  if (!later)
    return later.err();
  for (const auto& e : *later)
    fold.apply(e);
  page.messages = std::move(fold).finish();
  return page;
}

}  // namespace parley::storage::detail
