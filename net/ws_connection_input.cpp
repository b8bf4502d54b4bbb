// ws_connection's input side (the shard's thread): reading, frames, requests, `auth`, and
// the catch-up lane. The rest of the class is in ws_connection.cpp.
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/post.hpp>

#include <caf/send.hpp>

#include <algorithm>
#include <cstdio>

#include "actors/messages.hpp"
#include "actors/metrics.hpp"
#include "actors/protocol.hpp"
#include "net/codec.hpp"
#include "net/ws_connection.hpp"

namespace parley::net {
namespace {

using clock = std::chrono::steady_clock;

/// Requests a client sends to catch up after it connects (net/catch_up_lane.hpp).
bool is_catch_up(const actors::request& r) {
  return std::holds_alternative<actors::join_req>(r)
         || std::holds_alternative<actors::history_req>(r)
         || std::holds_alternative<actors::rooms_req>(r);
}

/// The requests of the read being handled (handle_messages), for its connection's session.
/// Per thread, not per connection: it is sent and empty again before handle_messages
/// returns (or the connection's teardown, if that comes first), so an idle connection
/// holds nothing for it. A lone request goes as it is, in an `inbound` message.
struct requests_of_read {
  const void* owner = nullptr;
  caf::actor session;  ///< The owner's session.
  actors::inbound_batch batch;

  /// Sends what is held to its session: one `inbound`, or the batch.
  void send() {
    auto& requests = batch.requests;
    if (!requests.empty()) {
      auto now = std::chrono::steady_clock::now();
      for (auto& in : requests)
        in.received = now;
      if (requests.size() == 1)
        caf::anon_send(session, std::move(requests.front()));
      else
        caf::anon_send(session, actors::inbound_batch{std::move(requests)});
      requests.clear();
    }
    owner = nullptr;
    session = nullptr;
  }
};

requests_of_read& for_session() {
  thread_local requests_of_read pending;
  return pending;
}

std::string session_name(const caf::actor& a) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "s-%llx", static_cast<unsigned long long>(a.id()));
  return buf;
}

}  // namespace

// -- input (the shard's thread) -------------------------------------------------------------------

void ws_connection::do_read() {
  if (phase_ == phase::closed)
    return;
  // Wait for readability, then read into a per-thread buffer: an idle connection holds no
  // read buffer at all.
  socket_.async_wait(tcp::socket::wait_read,
                     asio::bind_allocator(read_slot_.allocator(),
                                          [self = shared_from_this()](boost::system::error_code ec) {
                                            self->on_readable(ec);
                                          }));
}

void ws_connection::on_readable(boost::system::error_code ec) {
  if (ec || phase_ == phase::closed) {
    teardown();
    return;
  }
  thread_local std::vector<uint8_t> buf(64 * 1024);
  size_t n = socket_.read_some(asio::buffer(buf), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) {
    do_read();
    return;
  }
  if (ec) {  // EOF or reset: the teardown waits for its turn (io_shard::defer)
    shard_.defer([self = shared_from_this()] { self->abort(); });
    return;
  }
  if (phase_ == phase::closing && close_written_) {
    do_read();  // draining until the peer closes
    return;
  }
  std::vector<ws_message> msgs;
  auto st = parser_.feed(buf.data(), n, msgs);
  bool reading = handle_messages(msgs);
  if (phase_ == phase::closed)
    return;
  if (st == ws_frame_parser::status::too_big)
    start_close(1009, "frame too large");
  else if (st == ws_frame_parser::status::protocol_error)
    start_close(1002, "protocol error");
  parser_.shrink();
  if (reading)
    do_read();  // else resume_held reads on, once the held request has its slot
}

bool ws_connection::handle_messages(std::vector<ws_message>& msgs) {
  bool reading = true;
  for (size_t i = 0; i < msgs.size() && phase_ != phase::closed; ++i) {
    on_message(msgs[i]);
    if (held_) {
      auto rest = msgs.begin() + static_cast<std::ptrdiff_t>(i + 1);
      held_->rest.assign(std::make_move_iterator(rest), std::make_move_iterator(msgs.end()));
      reading = false;
      break;
    }
  }
  send_to_session();
  return reading;
}

void ws_connection::on_message(ws_message& m) {
  unanswered_pings_ = 0;  // any frame shows the peer is alive
  switch (m.op) {
    case ws_opcode::ping: {
      outbound pong_frame{owned_frame{ws_opcode::pong, std::move(m.payload)}};
      enqueue(pong_frame);
      do_write();
      return;
    }
    case ws_opcode::pong:
      return;
    case ws_opcode::close:
      if (phase_ == phase::closing) {
        // The answer to our close: the handshake is complete once our frame is out.
        if (close_written_)
          teardown();
        return;
      }
      start_close(close_reply_code(m.payload), "");
      return;
    default:
      break;
  }
  if (phase_ != phase::open && phase_ != phase::awaiting_auth)
    return;
  bool binary = m.op == ws_opcode::binary;
  if (binary != (enc_ == actors::encoding::msgpack)) {
    bad_frame({}, binary ? "binary frame on a JSON connection"
                         : "text frame on a MessagePack connection");
    return;
  }
  auto decoded = decode_frame(m.payload, enc_);
  if (auto err = std::get_if<decode_error>(&decoded)) {
    bad_frame(err->id, std::move(err->message));
    return;
  }
  on_request(std::get<actors::inbound>(decoded));
}

void ws_connection::on_request(actors::inbound& in) {
  if (auto auth = std::get_if<actors::auth_req>(&in.req)) {
    on_auth(in.id, auth->token);
    return;
  }
  if (phase_ == phase::awaiting_auth) {
    reply_now(in.id, actors::error_info{actors::error_code::unauthorized,
                                        "authenticate first: send auth with a token"});
    return;
  }
  if (std::holds_alternative<actors::ping_req>(in.req)) {
    reply_now(in.id, actors::pong{});
    return;
  }
  auto& lane = shard_.catch_up();
  if (lane.capacity() != 0 && is_catch_up(in.req)) {
    if (!lane.try_take()) {
      // Wait at the connection, not in the actor system's queue (catch_up_lane.hpp).
      actors::global_metrics().catch_up_waits.inc();
      held_ = std::make_unique<held_input>();
      held_->request = std::move(in);
      lane.wait([weak = weak_from_this()] {
        auto self = weak.lock();
        if (!self || self->phase_ != phase::open)
          return false;  // gone or closing: the slot goes to the next waiter
        ++self->lane_slots_;
        // Not from inside give_back: that runs in another connection's handler.
        asio::post(self->socket_.get_executor(), [self] { self->resume_held(); });
        return true;
      });
      return;
    }
    ++lane_slots_;
    in.lane = true;
  }
  hand_to_session(in);
}

void ws_connection::hand_to_session(actors::inbound& in) {
  auto& pending = for_session();
  if (pending.owner != this) {
    pending.send();  // (another connection's: never, every read sends its own as it ends)
    pending.owner = this;
    pending.session = session_;
  }
  pending.batch.requests.push_back(std::move(in));
}

void ws_connection::send_to_session() {
  if (auto& pending = for_session(); pending.owner == this)
    pending.send();
}

void ws_connection::return_lane_slots() {
  for (auto n = lane_returns_.exchange(0, std::memory_order_relaxed); n > 0 && lane_slots_ > 0;
       --n) {
    --lane_slots_;
    shard_.catch_up().give_back();
  }
}

void ws_connection::resume_held() {
  if (!held_ || phase_ == phase::closed)
    return;  // (teardown gave the slot back)
  auto held = std::move(held_);
  if (phase_ != phase::open) {
    --lane_slots_;  // closing: the request is moot, and so is the rest
    shard_.catch_up().give_back();
    return;
  }
  held->request.lane = true;
  hand_to_session(held->request);
  if (handle_messages(held->rest) && phase_ != phase::closed)
    do_read();
}

void ws_connection::on_auth(const actors::request_id& id, const std::string& token) {
  auto result = ctx_->verifier().verify(token, unix_seconds());
  if (auto why = std::get_if<std::string>(&result)) {
    actors::global_metrics().auth_failures.inc();
    reply_now(id, actors::error_info{actors::error_code::unauthorized, *why});
    if (phase_ == phase::awaiting_auth)
      start_close(static_cast<uint16_t>(actors::close_code::unauthorized), "unauthorized");
    return;
  }
  auto& claims = std::get<token_claims>(result);
  if (phase_ == phase::awaiting_auth) {
    auto slot = ctx_->acquire_user(claims.sub);
    if (!slot) {
      actors::global_metrics().connections_refused.inc();
      // Retrying at once would meet the same limit: the client backs off (PROTOCOL §7).
      reply_now(id, actors::error_info{actors::error_code::rate_limited,
                                       "too many connections for user '" + claims.sub +
                                         "' (limits.connections_per_user)",
                                       1000});
      start_close(static_cast<uint16_t>(actors::close_code::policy), "too many connections");
      return;
    }
    authenticated(claims, id, std::move(slot));
    return;
  }
  // A refresh: same user, later expiry.
  if (claims.sub != user_) {
    reply_now(id, actors::error_info{actors::error_code::unauthorized,
                                     "a refreshed token must be for the same user"});
    return;
  }
  token_exp_ = claims.exp;
  reply_now(id, actors::ok_empty{});
}

void ws_connection::authenticated(const token_claims& claims, const actors::request_id& id,
                                  connection_slot user_slot) {
  phase_ = phase::open;
  user_slot_ = std::move(user_slot);
  user_ = claims.sub;
  token_exp_ = claims.exp;
  session_ = ctx_->broker().spawn_session(user_, shared_from_this());
  auto& s = ctx_->settings();
  actors::hello h{session_name(session_), user_, s.node,  s.heartbeat_ms, s.max_frame,
                  s.max_body,             s.max_rooms_per_connection,    s.rate_per_s,
                  s.rate_burst,           unix_millis()};
  reply_now(id, std::move(h));
}

void ws_connection::bad_frame(const actors::request_id& id, std::string message) {
  actors::global_metrics().bad_frames.inc();
  reply_now(id, actors::error_info{actors::error_code::bad_request, std::move(message)});
  auto now = clock::now();
  auto window = std::chrono::milliseconds{ctx_->settings().bad_frames_window_ms};
  std::erase_if(bad_frames_, [&](auto t) { return now - t > window; });
  bad_frames_.push_back(now);
  if (static_cast<int64_t>(bad_frames_.size()) >= ctx_->settings().bad_frames_limit)
    start_close(static_cast<uint16_t>(actors::close_code::policy), "too many bad frames");
}

}  // namespace parley::net
