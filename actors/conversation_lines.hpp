#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "actors/wire_event.hpp"
#include "storage/types.hpp"

namespace parley::actors {

/// What a room keeps in memory for its members' conversation-list lines (the `room` event):
/// the senders of its latest messages, up to the window unread counts look at, and its
/// latest message with the changes to it. The room then makes the line of every member
/// whose unread messages it has all seen, where the reader read the members and up to a
/// thousand messages from storage once a second per busy room (8 % of the broker's CPU in
/// the fan-out over 200 rooms, since the log lost its covering index in 0003).
/// A member whose marker lies before what the room has seen is still counted by storage.
///
/// The counts follow store::room_summaries exactly: `msg` events after the marker that
/// others sent, among the room's latest storage::detail::unread_window.
class conversation_lines {
public:
  /// The room as loaded: its head and its latest events, ascending and running up to the
  /// head (room_snapshot::tail as the room keeps it; empty when none are kept).
  void start(int64_t head, std::span<const event_ptr> tail);

  /// A committed persistent event, in seq order. Kept by reference, not copied: the latest
  /// message and the changes to it are folded when a line asks for them (a copy per message
  /// cost the room more than the lines saved).
  void add(const event_ptr& ev);

  /// The room's head moved to `head` without all the events before it passing add() (a
  /// resync that found fewer than it reported): start over from there, as a room loaded
  /// without a tail.
  void catch_up(int64_t head);

  /// Whether the room knows the latest message (or that there is none).
  bool knows_last() const { return last_known_; }

  /// The latest message in its current state; nullopt when the room has none. Only
  /// meaningful when knows_last().
  std::optional<storage::message_state> last() const;

  /// Whether the unread count of a member with read marker `read` can be made here.
  bool can_count(int64_t read) const;

  /// The unread count of `user` with read marker `read`, which must pass can_count().
  int64_t unread(const std::string& user, int64_t read) const;

private:
  /// One sender's messages in the window: `seqs` from index `first` on, ascending (the
  /// front is dropped by moving `first`, and compacted now and then).
  struct sender_seqs {
    std::vector<int64_t> seqs;
    size_t first = 0;
  };

  /// Forgets the oldest message of the window.
  void drop_oldest();

  using sender_map = std::unordered_map<std::string, sender_seqs>;

  /// The latest messages (seq, sender's entry in by_sender_), ascending, at most
  /// unread_window of them. The entry, not the name: a message then costs one hash of its
  /// sender, not a copy and a second hash when it leaves the window (elements of an
  /// unordered_map keep their address across rehashing, and an entry is erased only with
  /// the last of its sender's messages here).
  std::deque<std::pair<int64_t, sender_map::value_type*>> msgs_;
  /// The same messages by sender: a line is the window's messages after the marker minus
  /// the member's own, two binary searches. (Counting a notice's lines in one pass over the
  /// window, as storage does, cost the room more than the reader had: 0.5 s in 10 s of
  /// the fan-out over 200 rooms, a hash lookup and a sort per message per notice.)
  sender_map by_sender_;
  /// Every message with a seq from here on has been seen (and is in msgs_ unless the
  /// window has moved past it).
  int64_t seen_from_ = 1;
  /// The last seq seen (the room's head when all went through add()).
  int64_t seen_to_ = 0;
  /// The latest message and the edits, deletes and reactions to it since; after many
  /// changes, its state folded so far (`folded_`), and the changes since that.
  event_ptr last_;
  std::optional<storage::message_state> folded_;
  std::vector<event_ptr> changes_;
  bool last_known_ = true;
};

}  // namespace parley::actors
