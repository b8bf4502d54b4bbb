#include "client.hpp"

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <cstring>

#include "ws_client_frames.hpp"

namespace parley::bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
// The read buffer starts small (19,000 idle connections need no 64 KiB each) and doubles
// while reads fill it, up to this: a subscriber under load reads many frames per call.
constexpr size_t initial_read = 4 * 1024;
constexpr size_t max_read = 64 * 1024;
}

struct client::impl {
  explicit impl(asio::io_context& ioc) : sock(ioc) {}
  tcp::socket sock;
  std::vector<char> in;  ///< Bytes read and not yet parsed: [0, held).
  size_t held = 0;
  bool filled = false;  ///< The last read took all the room it was given.
  bool upgraded = false;
  ws_client_frames frames;
  std::vector<server_event> events;
  std::vector<std::string> replies;
};

client::client(asio::io_context& ioc, std::unique_ptr<protocol> proto, callbacks cb,
               std::string user, std::string room)
  : impl_(std::make_unique<impl>(ioc)),
    proto_(std::move(proto)),
    cb_(std::move(cb)),
    user_(std::move(user)),
    room_(std::move(room)) {}

client::~client() = default;

void client::start(const tcp::endpoint& server, const asio::ip::address& source,
                   const std::string& token) {
  auto self = shared_from_this();
  auto& sock = impl_->sock;
  boost::system::error_code ec;
  sock.open(server.protocol(), ec);
  if (!ec)
    sock.bind(tcp::endpoint{source, 0}, ec);  // many source addresses: many port ranges
  if (ec) {
    cb_.error(*this, "bind " + source.to_string() + ": " + ec.message());
    return;
  }
  sock.async_connect(server, [self, token](boost::system::error_code ec) {
    if (ec) {
      self->cb_.error(*self, "connect: " + ec.message());
      return;
    }
    self->impl_->sock.set_option(tcp::no_delay(true));
    self->out_ = upgrade_request(self->proto_->target(self->user_, token),
                                 self->proto_->subprotocol());
    self->write_next();
    self->read();
  });
}

void client::read() {
  auto& im = *impl_;
  if (im.in.empty())
    im.in.resize(initial_read);
  else if (im.held == im.in.size() || (im.filled && im.in.size() < max_read))
    im.in.resize(std::max(im.in.size() * 2, im.held + initial_read));  // a big frame, or busy
  auto self = shared_from_this();
  im.sock.async_read_some(
    asio::buffer(im.in.data() + im.held, im.in.size() - im.held),
    [self](boost::system::error_code ec, size_t n) {
      if (ec) {
        if (!self->closed_)
          self->cb_.error(*self, "read: " + ec.message());
        return;
      }
      auto& im = *self->impl_;
      im.filled = im.held + n == im.in.size();
      im.held += n;
      if (!self->consume())
        return;
      self->read();
    });
}

bool client::consume() {
  auto& im = *impl_;
  std::string_view data{im.in.data(), im.held};
  size_t used = 0;
  if (!im.upgraded) {
    auto end = data.find("\r\n\r\n");
    if (end == std::string_view::npos)
      return true;  // the response is still on its way
    auto status = data.substr(0, data.find("\r\n"));
    if (!status.starts_with("HTTP/1.1 101")) {
      cb_.error(*this, "handshake: " + std::string{status});
      return false;
    }
    im.upgraded = true;
    used = end + 4;
  }
  std::string failure;
  used += im.frames.parse(
    data.substr(used),
    [&](std::string_view message) { on_message(message); },
    [&](std::string_view ping) { send_frame(ws_frame_op::pong, ping); },
    failure);
  if (!failure.empty()) {
    if (!closed_)
      cb_.error(*this, "read: " + failure);
    return false;
  }
  // Keep the incomplete tail for the next read.
  std::memmove(im.in.data(), im.in.data() + used, im.held - used);
  im.held -= used;
  return !closed_;
}

void client::on_message(std::string_view message) {
  auto& im = *impl_;
  im.events.clear();
  im.replies.clear();
  proto_->parse(message, im.events, im.replies);
  for (auto& r : im.replies)
    send(r);
  for (auto& e : im.events) {
    switch (e.k) {
      case server_event::kind::ready: cb_.ready(*this); break;
      case server_event::kind::ack: cb_.ack(*this, e.id); break;
      case server_event::kind::delivery: cb_.delivery(*this, e.body); break;
      case server_event::kind::error: cb_.error(*this, e.body); break;
      case server_event::kind::none: break;
    }
  }
}

void client::join(int64_t id, std::optional<int64_t> since) {
  send(since ? proto_->join_since(room_, id, *since) : proto_->join(room_, id));
}

void client::publish(const std::string& cid, const std::string& body, int64_t id) {
  send(proto_->publish(room_, cid, body, id));
}

void client::close() {
  closed_ = true;
  boost::system::error_code ec;
  impl_->sock.close(ec);
}

void client::send(std::string_view text) {
  send_frame(ws_frame_op::text, text);
}

void client::send_frame(ws_frame_op op, std::string_view payload) {
  if (closed_)
    return;
  append_client_frame(out_, op, payload);
  if (!writing_)
    write_next();
}

void client::write_next() {
  if (out_.empty() || closed_) {
    writing_ = false;
    return;
  }
  writing_ = true;
  in_write_.swap(out_);  // everything queued goes out in one write
  out_.clear();
  auto self = shared_from_this();
  asio::async_write(impl_->sock, asio::buffer(in_write_),
                    [self](boost::system::error_code ec, size_t) {
                      if (ec) {
                        if (!self->closed_)
                          self->cb_.error(*self, "write: " + ec.message());
                        self->writing_ = false;
                        return;
                      }
                      self->write_next();
                    });
}

}  // namespace parley::bench
