#include "protocols.hpp"

#include <string.h>  // memmem (GNU)

#include <charconv>
#include <deque>

namespace parley::bench {
namespace {

int64_t int_after(std::string_view text, std::string_view key) {
  auto p = text.find(key);
  if (p == std::string_view::npos)
    return -1;
  p += key.size();
  int64_t v = -1;
  std::from_chars(text.data() + p, text.data() + text.size(), v);
  return v;
}

/// The value of "body":"..." in a JSON text (bodies here never contain quotes).
///
/// memmem, not string_view::find: find looks for the needle's first character with memchr
/// and compares from each one, and a JSON text is mostly quotes, so a delivery cost a dozen
/// memchr calls; finding bodies was a third of the load generator's CPU in a fan-out to
/// one room of 2,000, where the load generator is the limit.
std::string_view body_of(std::string_view text) {
  static constexpr std::string_view key = "\"body\":\"";
  auto* k = static_cast<const char*>(memmem(text.data(), text.size(), key.data(), key.size()));
  if (k == nullptr)
    return {};
  auto b = static_cast<size_t>(k - text.data()) + key.size();
  auto e = text.find('"', b);
  return e == std::string_view::npos ? std::string_view{} : text.substr(b, e - b);
}

/// Parley's JSON protocol; the `ws` peer speaks the same subset.
class json_protocol : public protocol {
public:
  explicit json_protocol(bool parley) : parley_(parley) {}

  std::string name() const override { return parley_ ? "parley" : "wspeer"; }
  std::string target(const std::string& user, const std::string& token) const override {
    return parley_ ? "/ws?token=" + token : "/ws?user=" + user;
  }
  std::string subprotocol() const override { return parley_ ? "parley.v1.json" : ""; }
  bool needs_token() const override { return parley_; }

  std::string join(const std::string& room, int64_t id) const override {
    return R"({"t":"join","room":")" + room + R"(","id":)" + std::to_string(id) + "}";
  }
  std::string join_since(const std::string& room, int64_t id, int64_t since) const override {
    if (!parley_)
      return join(room, id);
    return R"({"t":"join","room":")" + room + R"(","since":)" + std::to_string(since) +
           R"(,"id":)" + std::to_string(id) + "}";
  }
  std::string publish(const std::string& room, const std::string& cid, const std::string& body,
                      int64_t id) const override {
    return R"({"t":"send","room":")" + room + R"(","cid":")" + cid + R"(","body":")" + body +
           R"(","id":)" + std::to_string(id) + "}";
  }

  void parse(std::string_view f, std::vector<server_event>& ev,
             std::vector<std::string>&) override {
    if (f.starts_with(R"({"t":"msg")"))
      ev.push_back({server_event::kind::delivery, -1, body_of(f)});
    else if (f.starts_with(R"({"t":"ok")"))
      ev.push_back({server_event::kind::ack, int_after(f, "\"id\":"), {}});
    else if (f.starts_with(R"({"t":"hello")"))
      ev.push_back({server_event::kind::ready, -1, {}});
    else if (f.starts_with(R"({"t":"error")"))
      ev.push_back({server_event::kind::error, int_after(f, "\"id\":"), f});
  }

  std::unique_ptr<protocol> clone() const override {
    return std::make_unique<json_protocol>(parley_);
  }

private:
  bool parley_;
};

/// Socket.IO 4 over its websocket transport: engine.io packets ("0" open, "2" ping, "3"
/// pong, "4" message) carrying socket.io packets ("0" connect, "2" event, "3" ack).
class socketio_protocol : public protocol {
public:
  std::string name() const override { return "socketio"; }
  std::string target(const std::string& user, const std::string&) const override {
    return "/socket.io/?EIO=4&transport=websocket&user=" + user;
  }
  std::string join(const std::string& room, int64_t id) const override {
    return "42" + std::to_string(id) + R"(["join",")" + room + R"("])";
  }
  std::string publish(const std::string& room, const std::string& cid, const std::string& body,
                      int64_t id) const override {
    return "42" + std::to_string(id) + R"(["send",{"room":")" + room + R"(","cid":")" + cid +
           R"(","body":")" + body + R"("}])";
  }

  void parse(std::string_view f, std::vector<server_event>& ev,
             std::vector<std::string>& out) override {
    if (f.empty())
      return;
    if (f == "2") {
      out.emplace_back("3");  // engine.io ping -> pong
    } else if (f[0] == '0') {
      out.emplace_back("40");  // engine.io open -> connect to the default namespace
    } else if (f.starts_with("40")) {
      ev.push_back({server_event::kind::ready, -1, {}});
    } else if (f.starts_with("43")) {
      int64_t id = -1;
      std::from_chars(f.data() + 2, f.data() + f.size(), id);
      ev.push_back({server_event::kind::ack, id, {}});
    } else if (f.starts_with(R"(42["msg")")) {
      ev.push_back({server_event::kind::delivery, -1, body_of(f)});
    } else if (f.starts_with("44")) {
      ev.push_back({server_event::kind::error, -1, f});
    }
  }

  std::unique_ptr<protocol> clone() const override {
    return std::make_unique<socketio_protocol>();
  }
};

/// NATS's text protocol over WebSocket frames: a frame may hold several protocol lines, and
/// a message may span frames, so each connection keeps a byte buffer.
class nats_protocol : public protocol {
public:
  std::string name() const override { return "nats"; }
  std::string target(const std::string&, const std::string&) const override { return "/"; }
  std::string join(const std::string& room, int64_t id) const override {
    // SUB, then PING: its PONG says the subscription is in place.
    awaiting_pong_.push_back(id);
    return "SUB room." + room + " " + std::to_string(id) + "\r\nPING\r\n";
  }
  std::string publish(const std::string& room, const std::string&, const std::string& body,
                      int64_t id) const override {
    awaiting_pong_.push_back(id);
    // PING after every PUB: its PONG is the publish's acknowledgement (what a NATS client's
    // flush waits for: the server has routed the message to the subscribers' buffers).
    return "PUB room." + room + " " + std::to_string(body.size()) + "\r\n" + body +
           "\r\nPING\r\n";
  }

  void parse(std::string_view f, std::vector<server_event>& ev,
             std::vector<std::string>& out) override {
    // What the previous call consumed goes only now: its events' views pointed into it.
    buf_.erase(0, consumed_);
    consumed_ = 0;
    bodies_.clear();
    buf_.append(f);
    size_t pos = 0;
    for (;;) {
      auto eol = buf_.find("\r\n", pos);
      if (eol == std::string::npos)
        break;
      std::string_view line{buf_.data() + pos, eol - pos};
      if (line.starts_with("MSG ")) {
        // MSG <subject> <sid> [reply] <bytes>
        auto last = line.rfind(' ');
        size_t n = 0;
        std::from_chars(line.data() + last + 1, line.data() + line.size(), n);
        if (buf_.size() < eol + 2 + n + 2)
          break;  // the payload is still on its way
        bodies_.emplace_back(eol + 2, n);  // where, not a copy: an allocation per delivery
        pos = eol + 2 + n + 2;
        continue;
      }
      if (line == "PING") {
        out.emplace_back("PONG\r\n");
      } else if (line == "PONG") {
        if (!connected_) {
          connected_ = true;
          ev.push_back({server_event::kind::ready, -1, {}});
        } else if (!awaiting_pong_.empty()) {
          // PONGs come in the order of the PINGs: the oldest request waiting is answered.
          ev.push_back({server_event::kind::ack, awaiting_pong_.front(), {}});
          awaiting_pong_.pop_front();
        }
      } else if (line.starts_with("INFO ")) {
        out.emplace_back(
          "CONNECT {\"verbose\":false,\"pedantic\":false,\"echo\":false}\r\nPING\r\n");
      } else if (line.starts_with("-ERR")) {
        ev.push_back({server_event::kind::error, -1, line});
      }
      pos = eol + 2;
    }
    consumed_ = pos;
    for (auto [at, n] : bodies_)
      ev.push_back({server_event::kind::delivery, -1, std::string_view{buf_}.substr(at, n)});
  }

  std::unique_ptr<protocol> clone() const override { return std::make_unique<nats_protocol>(); }

private:
  /// Bytes received and not yet parsed, after the `consumed_` bytes the previous call parsed
  /// (kept until this call: the events it returned are views into them).
  std::string buf_;
  size_t consumed_ = 0;
  std::vector<std::pair<size_t, size_t>> bodies_;  ///< this call's payloads in buf_: at, size
  bool connected_ = false;
  /// Request ids whose PING has not had its PONG yet, oldest first (join and publish are
  /// const: they build frames, this is their only bookkeeping).
  mutable std::deque<int64_t> awaiting_pong_;
};

}  // namespace

std::unique_ptr<protocol> make_protocol(std::string_view system) {
  if (system == "parley")
    return std::make_unique<json_protocol>(true);
  if (system == "wspeer")
    return std::make_unique<json_protocol>(false);
  if (system == "socketio")
    return std::make_unique<socketio_protocol>();
  if (system == "nats")
    return std::make_unique<nats_protocol>();
  return nullptr;
}

}  // namespace parley::bench
