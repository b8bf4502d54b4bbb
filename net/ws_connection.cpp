#include "net/ws_connection.hpp"

#include <boost/asio/post.hpp>

#include <caf/send.hpp>

#include <algorithm>
#include <cerrno>
#include <random>

#include "actors/messages.hpp"
#include "actors/metrics.hpp"
#include "actors/protocol.hpp"
#include "net/codec.hpp"
#include "net/heartbeat.hpp"

namespace parley::net {
namespace {

using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

/// Frames per gather write: bounds the iovec array; the rest goes in the next write.
constexpr size_t max_frames_per_write = 256;
/// How long a closing connection waits for the peer before dropping the socket.
constexpr auto close_linger = 3s;

/// Draws the phase of a new connection's heartbeat (first_ping_delay). Per thread: accepts
/// run on several threads, and the phase needs spread, not secrecy.
uint64_t ping_phase_random() {
  thread_local std::minstd_rand rng{std::random_device{}()};
  return rng();
}

}  // namespace

ws_connection::ws_connection(tcp::socket socket, io_shard& shard,
                             std::shared_ptr<server_context> ctx, actors::encoding enc,
                             connection_slot ip_slot)
  : socket_(std::move(socket)),
    shard_(shard),
    ctx_(std::move(ctx)),
    enc_(enc),
    parser_(static_cast<size_t>(ctx_->settings().max_frame)),
    ip_slot_(std::move(ip_slot)) {}

ws_connection::~ws_connection() {
  shard_.detach(this);  // normally done by teardown already
}

const std::string& ws_connection::out_frame::payload(actors::encoding enc) const {
  return shared ? shared->encoded(enc, &encode_event) : owned;
}

void ws_connection::start(std::string handshake, std::optional<token_claims> claims,
                          connection_slot user_slot, std::string leftover) {
  boost::system::error_code ec;
  socket_.set_option(tcp::no_delay(true), ec);
  socket_.non_blocking(true, ec);
  ctx_->add(shared_from_this());
  actors::global_metrics().connections_open.add();
  actors::global_metrics().connections_total.inc();
  auth_deadline_ = clock::now() + std::chrono::milliseconds{ctx_->settings().auth_deadline_ms};
  auto heartbeat = std::chrono::milliseconds{ctx_->settings().heartbeat_ms};
  next_ping_ = clock::now() + first_ping_delay(heartbeat, ping_phase_random());
  shard_.attach(this);
  // Queued raw (no frame header), first: whatever the connection writes next joins it.
  out_frame response;
  response.owned = std::move(handshake);
  queued_bytes_ += response.owned.size();
  queue_.push_back(std::move(response));
  if (claims)
    authenticated(*claims, {}, std::move(user_slot));
  bool reading = true;
  if (!leftover.empty()) {
    std::vector<ws_message> msgs;
    auto st = parser_.feed(leftover, msgs);
    reading = handle_messages(msgs);
    if (st == ws_frame_parser::status::too_big)
      start_close(1009, "frame too large");
    else if (st == ws_frame_parser::status::protocol_error)
      start_close(1002, "protocol error");
  }
  do_write();  // the response alone, if nothing joined it
  if (reading)
    do_read();
}

// -- client_link ----------------------------------------------------------------------------------

template <class Add>
void ws_connection::push_with(Add add) {
  std::lock_guard lock{mu_};
  if (link_closed_)
    return;
  add(inbox_);
  if (!flush_posted_) {
    flush_posted_ = true;
    shard_.schedule_flush(shared_from_this());
  }
}

void ws_connection::push(outbound item) {
  push_with([&](std::vector<outbound>& inbox) { inbox.push_back(std::move(item)); });
}

void ws_connection::deliver(actors::event_ptr ev) {
  push(std::move(ev));
}

void ws_connection::deliver_all(std::span<const actors::event_ptr> evs) {
  push_with([&](std::vector<outbound>& inbox) { inbox.insert(inbox.end(), evs.begin(), evs.end()); });
}

void ws_connection::send_reply(actors::reply r) {
  // Encoded here, on the session's thread: the inbox then holds bytes, not a decoded reply.
  push(reply_frame(r));
}

void ws_connection::close(actors::close_code code, std::string reason) {
  {
    std::lock_guard lock{mu_};
    if (link_closed_)
      return;
  }
  asio::post(socket_.get_executor(), [self = shared_from_this(), code, reason] {
    self->start_close(static_cast<uint16_t>(code), reason);
  });
}

bool ws_connection::tick_sweeps(bool on) {
  sweeps_wanted_.store(on, std::memory_order_relaxed);
  return true;
}

void ws_connection::lane_done() {
  lane_returns_.fetch_add(1, std::memory_order_relaxed);
  // The next flush gives the slot back (return_lane_slots). A closed link drops it:
  // teardown has given back every slot the connection held.
  push_with([](std::vector<outbound>&) {});
}

// -- output (the shard's thread) ------------------------------------------------------------------

void ws_connection::on_flush() {
  std::vector<outbound> items;
  {
    std::lock_guard lock{mu_};
    items.swap(inbox_);
    flush_posted_ = false;
  }
  // After flush_posted_ is cleared: a lane_done that this misses asks for a flush of its own.
  return_lane_slots();
  // One allocation for the whole flush, not one per doubling; geometric still, for a
  // queue that grows over several flushes (a slow reader).
  if (auto need = queue_.size() + items.size(); need > queue_.capacity())
    queue_.reserve(std::max(need, 2 * queue_.capacity()));
  for (auto& item : items) {
    if (phase_ == phase::closing || phase_ == phase::closed)
      break;
    enqueue(item);
  }
  do_write();
}

ws_connection::owned_frame ws_connection::reply_frame(const actors::reply& r) const {
  return owned_frame{data_opcode(), encode_reply(r, enc_)};
}

void ws_connection::enqueue(outbound& item) {
  out_frame f;
  ws_opcode op = data_opcode();
  if (auto ev = std::get_if<actors::event_ptr>(&item)) {
    f.shared = std::move(*ev);
  } else {
    auto& o = std::get<owned_frame>(item);
    op = o.op;
    f.owned = std::move(o.payload);
    f.is_close = o.op == ws_opcode::close;
  }
  auto size = f.payload(enc_).size();
  f.header_size = static_cast<uint8_t>(write_frame_header(f.header, op, size));
  queued_bytes_ += f.header_size + size;
  bool is_close = f.is_close;
  queue_.push_back(std::move(f));
  if (static_cast<int64_t>(queued_bytes_) > ctx_->settings().max_output_bytes && !is_close) {
    // A slow reader: cut it instead of letting its backlog grow or slowing the room.
    start_close(static_cast<uint16_t>(actors::close_code::slow_consumer), "slow consumer");
  }
}

void ws_connection::do_write() {
  if (writing_ || queue_.empty() || phase_ == phase::closed)
    return;
  // The frames of this write move to in_write_, which nothing touches until the write
  // completes: the gather buffers point into them, and queue_ may grow meanwhile.
  if (queue_.size() <= max_frames_per_write) {
    in_write_.swap(queue_);
  } else {
    auto end = queue_.begin() + static_cast<std::ptrdiff_t>(max_frames_per_write);
    in_write_.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(end));
    queue_.erase(queue_.begin(), end);
  }
  gather_.clear();
  gather_.reserve(2 * in_write_.size());  // a header and a payload per frame
  for (auto& f : in_write_) {
    const auto& p = f.payload(enc_);
    gather_.add(f.header, f.header_size);
    gather_.add(p.data(), p.size());
  }
  writing_ = true;
  write_pending();
}

void ws_connection::write_pending() {
  // The socket is non-blocking: write what it takes now, wait for room only when it is full.
  while (!gather_.done()) {
    auto msg = gather_.message();
    auto n = ::sendmsg(socket_.native_handle(), &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
      gather_.advance(static_cast<size_t>(n));
      continue;
    }
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      socket_.async_wait(tcp::socket::wait_write,
                         [self = shared_from_this()](boost::system::error_code ec) {
                           if (ec)
                             self->on_write(ec);
                           else
                             self->write_pending();
                         });
      return;
    }
    // A failed socket: tear down from a handler of its own, not inside whoever asked to
    // write (a read handler, a flush of many connections).
    boost::system::error_code ec{errno, boost::system::system_category()};
    asio::post(socket_.get_executor(), [self = shared_from_this(), ec] { self->on_write(ec); });
    return;
  }
  on_write({});
}

void ws_connection::on_write(boost::system::error_code ec) {
  writing_ = false;
  bool wrote_close = false;
  auto now = std::chrono::steady_clock::now();
  {
    actors::histogram_batch delivery_latency{actors::global_metrics().delivery_latency};
    for (auto& f : in_write_) {
      if (f.shared && !ec)
        delivery_latency.observe(std::chrono::duration<double>(now - f.shared->created()).count());
      if (phase_ != phase::closed)  // teardown has zeroed the count already
        queued_bytes_ -= f.header_size + f.payload(enc_).size();
      wrote_close |= f.is_close;
    }
  }
  in_write_.clear();
  if (queue_.empty())
    release_idle_buffers();
  if (ec) {
    teardown();
    return;
  }
  if (wrote_close) {
    after_close_frame_written();
    return;
  }
  do_write();
}

void ws_connection::release_idle_buffers() {
  // An idle connection keeps no output buffers at all: even a two-frame queue is 200 B, and
  // 19,000 idle connections add that up. A busy one allocates them again per burst of
  // writes (one malloc beside a sendmsg).
  std::vector<out_frame>{}.swap(queue_);
  std::vector<out_frame>{}.swap(in_write_);
  gather_.release();
}

void ws_connection::reply_now(actors::request_id id, actors::reply_body body) {
  outbound item{reply_frame(actors::reply{std::move(id), std::move(body)})};
  enqueue(item);
  do_write();
}

// -- closing (the shard's thread) -----------------------------------------------------------------

void ws_connection::start_close(uint16_t code, std::string_view reason) {
  if (phase_ == phase::closing || phase_ == phase::closed)
    return;
  phase_ = phase::closing;
  if (code == static_cast<uint16_t>(actors::close_code::slow_consumer))
    actors::global_metrics().slow_consumer_closes.inc();
  {
    std::lock_guard lock{mu_};
    link_closed_ = true;
    inbox_.clear();
  }
  if (code == static_cast<uint16_t>(actors::close_code::slow_consumer)) {
    // Drop what the slow reader has not started to receive; keep the frames in the write.
    for (auto& f : queue_)
      queued_bytes_ -= f.header_size + f.payload(enc_).size();
    queue_.clear();
  }
  outbound frame{owned_frame{ws_opcode::close, close_payload(code, reason)}};
  enqueue(frame);
  close_queued_ = true;
  // Bound the whole closing handshake, also for a peer that stopped reading (on_tick).
  close_deadline_ = clock::now() + close_linger;
  do_write();
}

void ws_connection::after_close_frame_written() {
  close_written_ = true;
  boost::system::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_send, ec);
  // Keep reading until the peer closes too (or the linger timer fires): closing a socket
  // with unread input would reset it and could destroy the close frame in flight.
}

void ws_connection::teardown() {
  if (phase_ == phase::closed)
    return;
  phase_ = phase::closed;
  actors::global_metrics().connections_open.sub();
  {
    std::lock_guard lock{mu_};
    link_closed_ = true;
    inbox_.clear();
  }
  boost::system::error_code ec;
  shard_.detach(this);
  socket_.close(ec);
  queue_.clear();
  queued_bytes_ = 0;
  send_to_session();  // requests read before the end are still the client's (a send, say)
  if (session_)
    caf::anon_send_exit(session_, caf::exit_reason::user_shutdown);
  session_ = nullptr;
  // The session's lane_done calls for these would find the link closed.
  held_.reset();
  for (; lane_slots_ > 0; --lane_slots_)
    shard_.catch_up().give_back();
  ip_slot_.release();
  user_slot_.release();
  ctx_->remove(this);
}

// -- deadlines (the shard's tick) ----------------------------------------------------------------

void ws_connection::on_tick(clock::time_point now) {
  if (phase_ == phase::closed)
    return;
  auto keep = shared_from_this();  // teardown may drop the last other reference
  if (phase_ == phase::closing) {
    if (now >= close_deadline_)
      teardown();
    return;
  }
  auto unauthorized = static_cast<uint16_t>(actors::close_code::unauthorized);
  if (phase_ == phase::awaiting_auth && now >= auth_deadline_) {
    reply_now({}, actors::error_info{actors::error_code::unauthorized,
                                     "no auth within the deadline"});
    start_close(unauthorized, "authentication timeout");
    return;
  }
  // Expired is "now > exp + skew" (whole seconds): the tick finds it within its period.
  if (phase_ == phase::open && token_exp_ > 0 &&
      unix_seconds() - ctx_->verifier().config().skew_s > token_exp_) {
    reply_now({}, actors::error_info{actors::error_code::token_expired,
                                     "token expired; reconnect with a new one"});
    start_close(unauthorized, "token expired");
    return;
  }
  // The tick is at most 1 s apart (io_shard::tick_period), a quarter of the sessions'
  // request timeout or less, so each deadline is answered within 25 % of it.
  if (session_ && sweeps_wanted_.load(std::memory_order_relaxed))
    caf::anon_send(session_, actors::sweep_atom::value);
  // A connection waiting for a catch-up slot reads nothing, pongs included: no pings then.
  if (!held_ && now >= next_ping_) {
    if (unanswered_pings_ >= 2) {
      teardown();  // the peer is gone: no point in a closing handshake
      return;
    }
    ++unanswered_pings_;
    next_ping_ = now + std::chrono::milliseconds{ctx_->settings().heartbeat_ms};
    outbound ping{owned_frame{ws_opcode::ping, {}}};
    enqueue(ping);
    do_write();
  }
}

}  // namespace parley::net
