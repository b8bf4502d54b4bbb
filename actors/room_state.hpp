#pragma once

#include <caf/all.hpp>

#include <boost/container/deque.hpp>
#include <boost/container/options.hpp>
#include <boost/container/small_vector.hpp>

#include <deque>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "actors/cid_table.hpp"
#include "actors/client_link.hpp"
#include "actors/conversation_lines.hpp"
#include "actors/messages.hpp"
#include "actors/room_config.hpp"
#include "actors/write_waiter.hpp"

namespace parley::actors {

/// A connection subscribed to the room (joined), keyed by its session's id.
struct subscriber {
  std::string user;
  link_ptr link;
  caf::actor_addr session;
  request_id join_id;       ///< The pending join's id, answered after a stored replay.
  uint64_t generation = 0;  ///< Bumped by each join, so a stale replay is recognised.
  /// While a replay from storage is in flight, live events wait here, so the subscriber sees
  /// replay, then the join `ok`, then live events: one ordered stream.
  bool holding = false;
  std::vector<event_ptr> held;
};

/// A write handed to the writer and not yet committed, with whoever waits for it. The
/// event itself travels to the writer and comes back committed; this keeps only what the
/// commit's answer needs (moved twice per write, so it stays small).
struct in_flight_write {
  bool is_event = true;
  storage::read_marker read;                      ///< When !is_event: the marker it moves.
  std::vector<storage::member_change> members;  ///< With a `member` event: applied after it.
  /// Nearly always one: inline, so a send costs no allocation for it.
  boost::container::small_vector<write_waiter, 1> waiting;
  cid_table::handle cid = cid_table::none;  ///< A message's entry in room_state::cids.
  uint64_t origin_session = 0;  ///< For read markers: the `read` event skips its sender.
  /// For the ack-latency histogram; hand_to_writer sets it when the taker did not.
  std::chrono::steady_clock::time_point accepted;
};

/// The state of one room actor: the single owner of the room's order. It assigns `seq`,
/// keeps the in-flight writes in order, remembers recent (sender, cid) pairs for idempotency
/// and the most recent events for resume, and knows who is subscribed.
struct room_state {
  enum class mode { loading, ready, recovering, draining };

  std::string id;
  room_config cfg;
  caf::actor writer;
  caf::actor reader;
  caf::actor directory;

  mode current = mode::loading;
  storage::room_record record;
  std::unordered_map<std::string, storage::member> members;

  int64_t head = 0;      ///< Last committed seq.
  int64_t next_seq = 1;  ///< Next seq to assign (head + uncommitted events + 1).
  int64_t last_ts = 0;   ///< ts never goes backwards within a room.

  /// In blocks of 32: std::deque keeps an element of over 256 B in a block of its own, an
  /// allocation and a free per write.
  boost::container::deque<in_flight_write, void,
                          boost::container::deque_options_t<boost::container::block_size<32>>>
    in_flight;
  /// Writes accepted but not yet handed to the writer: they go as one message when this
  /// room's `outbox` message comes round, behind the requests already in its mailbox (a
  /// message to the writer per write was a mailbox push, and often a wake-up of the
  /// writer's thread, per message).
  std::vector<pending_write> outbox;
  bool outbox_scheduled = false;
  /// The last hand-over's size (at most 256): the next outbox starts with room for as
  /// many, instead of growing (and moving every write) step by step.
  size_t outbox_hint = 0;
  /// Every (sender, cid) in flight, and the latest `cfg.cid_cache` committed ones: one
  /// table, so a send costs one lookup and its commit none (the write holds its entry).
  cid_table cids;
  std::deque<event_ptr> tail;                               ///< Recent persistent events.
  /// Recent senders and the latest message, for the members' conversation-list lines.
  conversation_lines lines;

  std::unordered_map<uint64_t, subscriber> subscribers;
  /// Users with an invite or a removal on its way to storage: a second one waits.
  std::unordered_set<std::string> membership_in_flight;

  caf::actor_clock::time_point last_activity;
  caf::actor_clock::time_point last_notice;  ///< Last conversation-list notice to presence.
  bool notice_pending = false;
  bool idle_check_scheduled = false;
  std::chrono::milliseconds resync_backoff{100};
  std::vector<caf::response_promise> drain_waiting;

  static inline const char* name = "parley.room";

  bool is_member(const std::string& user) const { return members.count(user) > 0; }
  bool idle() const { return subscribers.empty() && in_flight.empty(); }

  /// The key of (sender, cid) as `cid_table::key` spells it.
  static std::string cid_key(const std::string& sender, const std::string& cid) {
    std::string k;
    k.reserve(sender.size() + cid.size() + 1);
    k += sender;
    k += '\0';
    k += cid;
    return k;
  }

  /// The next event timestamp: now, but never before the previous one.
  int64_t next_ts() {
    last_ts = std::max(last_ts, cfg.now_ms());
    return last_ts;
  }

  /// A committed send learnt from storage (the loaded tail, a resync): remembered unless
  /// the key is known already.
  void remember_cid(const std::string& sender, const std::string& cid, stored_send s);
  /// The send of an in-flight entry is committed: remembered, the oldest forgotten beyond
  /// `cfg.cid_cache` (this one at once if the cache is off).
  void commit_cid(cid_table::handle entry, stored_send s) {
    cids.commit(entry, s, static_cast<size_t>(std::max<int64_t>(cfg.cid_cache, 0)));
  }
  /// An in-flight entry whose write failed: forgotten, so a retry writes again.
  void forget_cid(cid_table::handle entry) { cids.erase(entry); }
  void append_tail(event_ptr ev);

  /// Pushes an event to every subscriber except `skip_session` and `skip_user`'s sessions.
  /// Subscribers that are replaying buffer it; one whose buffer overflows is closed (4009).
  void broadcast(const event_ptr& ev, uint64_t skip_session = 0,
                 const std::string& skip_user = {});
  /// Pushes a commit batch, in order, to every subscriber: one call per connection.
  void broadcast_all(std::span<const event_ptr> evs);

private:
  /// Buffers a live event for a subscriber that is replaying; false when its buffer was
  /// full and it was closed instead.
  bool hold(subscriber& sub, const event_ptr& ev);
};

}  // namespace parley::actors
