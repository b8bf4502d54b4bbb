#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <caf/actor.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "actors/client_link.hpp"
#include "net/gather_cursor.hpp"
#include "net/handler_slot.hpp"
#include "net/io_shard.hpp"
#include "net/jwt.hpp"
#include "net/server_context.hpp"
#include "net/ws_frame.hpp"

namespace parley::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

/// One WebSocket connection after the upgrade: reads and parses frames, decodes requests
/// (on the I/O thread), answers `auth` and `ping` itself, hands the rest to its session
/// actor, and writes what actors push at it (the `client_link` side) — all queued frames in
/// one gather write (sendmsg in place; a wait for the socket only when it is full). Owns the heartbeat, the auth deadline, token expiry (all three checked
/// on its shard's tick), the bad-frame
/// limit and the output limit (slow consumers are closed with 4009, never waited for).
///
/// Threads: everything but the client_link calls runs on the thread of the connection's
/// io_shard. The client_link calls come from actor threads: they append to a small locked
/// inbox and, when it was empty, ask the shard for a flush (batched with other connections).
class ws_connection : public actors::client_link,
                      public ticking,
                      public std::enable_shared_from_this<ws_connection> {
public:
  /// `ip_slot`: this connection's count for its peer address, held until teardown.
  ws_connection(tcp::socket socket, io_shard& shard, std::shared_ptr<server_context> ctx,
                actors::encoding enc, connection_slot ip_slot);
  ~ws_connection() override;

  /// Starts the connection. `handshake`: the upgrade's `101` response, not yet written: it
  /// goes out in the connection's first write, with the `hello` when the upgrade
  /// authenticated (one `sendmsg` per connection instead of two). `claims`: already
  /// authenticated at the upgrade (header or query token), with `user_slot` the user's
  /// count for it; otherwise the first frame must be `auth`. `leftover`: bytes the HTTP
  /// parser read past the upgrade request.
  void start(std::string handshake, std::optional<token_claims> claims,
             connection_slot user_slot, std::string leftover);

  /// Drops the connection at once: at final shutdown (no I/O thread runs then), or on its
  /// shard's thread after its peer went away (a deferred teardown, io_shard::defer).
  void abort() { teardown(); }

  // -- client_link (any thread) -----------------------------------------------------------
  void deliver(actors::event_ptr ev) override;
  void deliver_all(std::span<const actors::event_ptr> evs) override;
  void send_reply(actors::reply r) override;
  void close(actors::close_code code, std::string reason) override;
  bool tick_sweeps(bool on) override;
  void lane_done() override;

  /// Encodes what the inbox holds and writes it (the shard's thread).
  void on_flush();

  /// Checks the auth deadline, token expiry, heartbeat and closing linger (the shard's tick).
  void on_tick(std::chrono::steady_clock::time_point now) override;

private:
  enum class phase { awaiting_auth, open, closing, closed };

  /// A frame this connection alone sends, already encoded: a reply, or a close, ping or pong.
  struct owned_frame {
    ws_opcode op;
    std::string payload;
  };
  /// What actor threads hand the connection: kept small (48 bytes), because a busy
  /// connection's inbox holds dozens of them between flushes and the flush reads each one
  /// back after the cache has lost it (a reply as a decoded `actors::reply` made every item
  /// 232 bytes, and reading them was 4 % of the broker).
  using outbound = std::variant<actors::event_ptr, owned_frame>;

  /// A frame ready to write: its header, and its payload (shared or owned). One cache line.
  struct out_frame {
    uint8_t header[10];
    uint8_t header_size = 0;
    bool is_close = false;
    actors::event_ptr shared;
    std::string owned;
    const std::string& payload(actors::encoding enc) const;
  };

  /// Input read but not handed on yet: a catch-up request waiting for a slot of the shard's
  /// catch_up_lane, and the messages read after it. Meanwhile the connection reads nothing
  /// more, so its requests keep their order. On the heap: a connection rarely has any.
  struct held_input {
    actors::inbound request;
    std::vector<ws_message> rest;
  };

  void push(outbound item);
  /// Calls `add(inbox_)` under the lock and asks the shard for a flush if none is pending.
  template <class Add>
  void push_with(Add add);

  // -- the shard's thread ------------------------------------------------------------------
  void enqueue(outbound& item);
  /// The opcode of this connection's data frames: binary for MessagePack, text for JSON.
  ws_opcode data_opcode() const {
    return enc_ == actors::encoding::msgpack ? ws_opcode::binary : ws_opcode::text;
  }
  /// The frame that carries `r` in this connection's encoding.
  owned_frame reply_frame(const actors::reply& r) const;
  void do_write();
  void write_pending();
  void on_write(boost::system::error_code ec);
  void release_idle_buffers();
  void do_read();
  void on_readable(boost::system::error_code ec);
  /// Handles `msgs` in order, then sends the session their requests in one message; false
  /// if a catch-up request had to wait for a slot (it and the rest are held, and the caller
  /// must not read on).
  bool handle_messages(std::vector<ws_message>& msgs);
  void on_message(ws_message& m);
  void on_request(actors::inbound& in);
  /// Queues `in` for the session: handle_messages sends the read's requests together.
  void hand_to_session(actors::inbound& in);
  void send_to_session();
  /// Gives back the slots the session has finished with (lane_done, from actor threads).
  void return_lane_slots();
  /// Hands the held request on (its slot was given to this connection), then the rest.
  void resume_held();
  void on_auth(const actors::request_id& id, const std::string& token);
  void authenticated(const token_claims& claims, const actors::request_id& id,
                     connection_slot user_slot);
  void bad_frame(const actors::request_id& id, std::string message);
  void reply_now(actors::request_id id, actors::reply_body body);
  void start_close(uint16_t code, std::string_view reason);
  void after_close_frame_written();
  void teardown();

  tcp::socket socket_;
  io_shard& shard_;
  std::shared_ptr<server_context> ctx_;
  actors::encoding enc_;
  ws_frame_parser parser_;

  phase phase_ = phase::awaiting_auth;
  caf::actor session_;
  std::string user_;
  int64_t token_exp_ = 0;
  std::chrono::steady_clock::time_point auth_deadline_;
  int unanswered_pings_ = 0;
  std::chrono::steady_clock::time_point next_ping_;
  std::chrono::steady_clock::time_point close_deadline_;  ///< While closing.
  std::vector<std::chrono::steady_clock::time_point> bad_frames_;  ///< within the window

  // Inbox from actor threads (guarded by mu_).
  std::mutex mu_;
  std::vector<outbound> inbox_;
  bool flush_posted_ = false;
  bool link_closed_ = false;
  /// The session has requests waiting: each tick sends it `sweep` (tick_sweeps). Written on
  /// the session's thread, read on the shard's.
  std::atomic<bool> sweeps_wanted_{false};
  /// lane_done calls not yet taken by the shard's thread (written on actor threads).
  std::atomic<uint32_t> lane_returns_{0};

  // Write state (the shard's thread only).
  std::vector<out_frame> queue_;     ///< Encoded, waiting for the next write.
  std::vector<out_frame> in_write_;  ///< The frames of the write in flight (stable).
  size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool close_queued_ = false;
  bool close_written_ = false;
  gather_cursor gather_;  ///< The buffers of in_write_ and how much of them is written.

  // Catch-up slots (the shard's thread only).
  uint32_t lane_slots_ = 0;  ///< Slots held: handed to the session and not returned yet.
  std::unique_ptr<held_input> held_;

  /// The pending read wait's memory (an idle connection's only pending operation).
  handler_slot<socket_wait_op_size> read_slot_;

  // Counted connections (limits.connections_per_ip / _user): given back by teardown, or
  // by the destructor if teardown never ran; exactly once either way.
  connection_slot ip_slot_;
  connection_slot user_slot_;
};

}  // namespace parley::net
