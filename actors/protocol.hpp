#pragma once

// The vocabulary between net/ and actors/: requests decoded from client frames, replies and
// events to encode. Plain structs, no CAF and no Beast, so codecs and actors both use them.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "storage/types.hpp"

namespace parley::actors {

/// A request's `id`: a number or a string chosen by the client, echoed in the reply.
struct request_id {
  enum class kind : uint8_t { none, integer, real, text };
  kind k = kind::none;
  int64_t integer = 0;
  double real = 0;
  std::string text;

  bool present() const { return k != kind::none; }
  static request_id of(int64_t i) { return {kind::integer, i, 0, {}}; }
  static request_id of(std::string s) { return {kind::text, 0, 0, std::move(s)}; }
  friend bool operator==(const request_id&, const request_id&) = default;
};

/// The protocol's error codes (PROTOCOL §3).
enum class error_code : uint8_t {
  bad_request = 1,
  unauthorized,
  token_expired,
  forbidden,
  not_found,
  too_large,
  rate_limited,
  unavailable,
  conflict,
  internal,
};

const char* to_string(error_code c);
bool is_retryable(error_code c);

/// An `error` reply's content.
struct error_info {
  error_code code = error_code::internal;
  std::string message;
  int64_t retry_after_ms = -1;  ///< Sent with rate_limited only.
};

// -- requests (client -> server) --------------------------------------------------------------

struct auth_req {
  std::string token;
};
struct ping_req {};
struct create_req {
  std::optional<std::string> room;
  std::vector<std::string> members;
  std::string title;
  std::vector<std::string> admins;  ///< Extension: members who are admins too.
};
struct join_req {
  std::string room;
  std::optional<int64_t> since;
};
struct leave_req {
  std::string room;
};
struct send_req {
  std::string room;
  std::string cid;
  std::string body;
  std::string kind = "text";
  int64_t reply_to = 0;  ///< 0: not a reply.
  std::string meta;      ///< JSON text of the `meta` object; "" when absent.
};
struct typing_req {
  std::string room;
  bool on = true;
};
struct read_req {
  std::string room;
  int64_t seq = 0;
};
struct history_req {
  std::string room;
  std::optional<int64_t> before;
  std::optional<int64_t> after;
  int64_t limit = 50;
};

struct edit_req {
  std::string room;
  int64_t target = 0;  ///< seq of the message
  std::string body;
};
struct delete_req {
  std::string room;
  int64_t target = 0;
};
struct react_req {
  std::string room;
  int64_t target = 0;
  std::string emoji;
  bool on = true;
};
struct invite_req {
  std::string room;
  std::string user;
};
struct remove_req {
  std::string room;
  std::string user;
};

struct rooms_req {
  int64_t limit = 50;
};
struct presence_req {
  std::vector<std::string> users;
};

/// Every request a client frame can carry. auth and ping are answered by the connection.
using request = std::variant<auth_req, ping_req, create_req, join_req, leave_req, send_req,
                             typing_req, read_req, history_req, edit_req, delete_req,
                             react_req, invite_req, remove_req, rooms_req, presence_req>;

/// A decoded client frame: the request and its id.
struct inbound {
  request_id id;
  request req;
  /// When the connection handed it to its session, for the request-queue histogram (the
  /// session observes how long it waited to be taken); unset (zero) where nobody timed it.
  std::chrono::steady_clock::time_point received{};
  /// The request holds one of its connection's catch-up slots: the session calls
  /// `client_link::lane_done` once it is finished with it.
  bool lane = false;
};

/// The requests of one read from a connection, in order: one actor message for all of
/// them (a publisher's read carries tens of frames when it keeps many sends in flight).
struct inbound_batch {
  std::vector<inbound> requests;
};

// -- replies (server -> client) ---------------------------------------------------------------

struct ok_empty {};
struct ok_create {
  std::string room;
};
struct ok_send {
  std::string room;
  int64_t seq = 0;
  int64_t ts = 0;
};
struct ok_join {
  std::string room;
  int64_t head = 0;
  bool has_reads = false;  ///< `reads` is sent for rooms of at most 100 members.
  std::vector<std::pair<std::string, int64_t>> reads;
  int64_t replayed = 0;
  bool gap = false;
};
struct ok_history {
  std::vector<storage::message_state> messages;
  bool more = false;
};
struct pong {};
/// A user's presence: in `presence` replies and events.
struct presence_entry {
  std::string user;
  bool online = false;
  int64_t last_seen = 0;  ///< ms; for online users: now. 0: never seen.
};
struct ok_presence {
  std::vector<presence_entry> presence;
};
struct ok_rooms {
  std::vector<storage::room_summary> rooms;
};

/// What `hello` reports after a successful authentication.
struct hello {
  std::string session;
  std::string user;
  std::string node;
  int64_t heartbeat_ms = 0;
  int64_t max_frame = 0;
  int64_t max_body = 0;
  int64_t max_rooms = 0;
  double rate_per_s = 0;
  double rate_burst = 0;
  int64_t server_time = 0;
};

using reply_body = std::variant<ok_empty, ok_create, ok_send, ok_join, ok_history, pong, hello,
                                error_info, ok_presence, ok_rooms>;

/// One reply frame: `ok`, `pong`, `hello` or `error`, with the request's id.
struct reply {
  request_id id;
  reply_body body;
};

// -- events (server -> client, shared by every receiving connection) ---------------------------

struct typing_event {
  std::string room;
  std::string user;
  bool on = true;
};
struct read_event {
  std::string room;
  std::string user;
  int64_t seq = 0;
};

/// A conversation-list update (`room` event): a room's log grew.
struct room_update {
  std::string room;
  int64_t head = 0;
  int64_t unread = 0;
  std::optional<storage::message_state> last;
};

/// What the server pushes: a persistent room event (storage::event, has a seq), an
/// ephemeral one, a presence change or a conversation-list update.
using event_payload =
  std::variant<storage::event, typing_event, read_event, presence_entry, room_update>;

}  // namespace parley::actors
