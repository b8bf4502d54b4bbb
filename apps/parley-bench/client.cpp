#include "client.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

namespace parley::bench {

namespace beast = boost::beast;
namespace ws = beast::websocket;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct client::impl {
  explicit impl(asio::io_context& ioc) : stream(ioc) {}
  ws::stream<beast::tcp_stream> stream;
  beast::flat_buffer buf;
  std::vector<server_event> events;
  std::vector<std::string> replies;
};

client::client(asio::io_context& ioc, std::unique_ptr<protocol> proto, callbacks cb,
               std::string user, std::string room)
  : impl_(std::make_unique<impl>(ioc)),
    proto_(std::move(proto)),
    cb_(std::move(cb)),
    user_(std::move(user)),
    room_(std::move(room)) {
  // The load generator is not what is measured: cheap masks, no deflate.
  impl_->stream.secure_prng(false);
  impl_->stream.auto_fragment(false);
}

client::~client() = default;

void client::start(const tcp::endpoint& server, const asio::ip::address& source,
                   const std::string& token) {
  auto self = shared_from_this();
  auto& sock = beast::get_lowest_layer(impl_->stream).socket();
  beast::error_code ec;
  sock.open(server.protocol(), ec);
  if (!ec)
    sock.bind(tcp::endpoint{source, 0}, ec);  // many source addresses: many port ranges
  if (ec) {
    cb_.error(*this, "bind " + source.to_string() + ": " + ec.message());
    return;
  }
  beast::get_lowest_layer(impl_->stream).async_connect(server, [self, token](beast::error_code ec) {
    if (ec) {
      self->cb_.error(*self, "connect: " + ec.message());
      return;
    }
    beast::get_lowest_layer(self->impl_->stream).socket().set_option(tcp::no_delay(true));
    auto sub = self->proto_->subprotocol();
    self->impl_->stream.set_option(ws::stream_base::decorator([sub](ws::request_type& req) {
      if (!sub.empty())
        req.set(beast::http::field::sec_websocket_protocol, sub);
    }));
    auto target = self->proto_->target(self->user_, token);
    self->impl_->stream.async_handshake("127.0.0.1", target, [self](beast::error_code ec) {
      if (ec) {
        self->cb_.error(*self, "handshake: " + ec.message());
        return;
      }
      self->impl_->stream.text(true);
      self->read();
    });
  });
}

void client::read() {
  auto self = shared_from_this();
  impl_->stream.async_read(impl_->buf, [self](beast::error_code ec, size_t) {
    if (ec) {
      if (!self->closed_)
        self->cb_.error(*self, "read: " + ec.message());
      return;
    }
    auto& im = *self->impl_;
    auto data = im.buf.data();
    std::string_view frame{static_cast<const char*>(data.data()), data.size()};
    im.events.clear();
    im.replies.clear();
    self->proto_->parse(frame, im.events, im.replies);
    for (auto& r : im.replies)
      self->send(std::move(r));
    for (auto& e : im.events) {
      switch (e.k) {
        case server_event::kind::ready: self->cb_.ready(*self); break;
        case server_event::kind::ack: self->cb_.ack(*self, e.id); break;
        case server_event::kind::delivery: self->cb_.delivery(*self, e.body); break;
        case server_event::kind::error: self->cb_.error(*self, e.body); break;
        case server_event::kind::none: break;
      }
    }
    im.buf.consume(im.buf.size());
    self->read();
  });
}

void client::join(int64_t id) {
  send(proto_->join(room_, id));
}

void client::publish(const std::string& cid, const std::string& body, int64_t id) {
  send(proto_->publish(room_, cid, body, id));
}

void client::close() {
  closed_ = true;
  beast::error_code ec;
  beast::get_lowest_layer(impl_->stream).socket().close(ec);
}

void client::send(std::string text) {
  if (closed_)
    return;
  out_.push_back(std::move(text));
  if (!writing_)
    write_next();
}

void client::write_next() {
  if (out_.empty() || closed_) {
    writing_ = false;
    return;
  }
  writing_ = true;
  auto self = shared_from_this();
  impl_->stream.async_write(asio::buffer(out_.front()), [self](beast::error_code ec, size_t) {
    if (ec) {
      if (!self->closed_)
        self->cb_.error(*self, "write: " + ec.message());
      self->writing_ = false;
      return;
    }
    self->out_.pop_front();
    self->write_next();
  });
}

}  // namespace parley::bench
