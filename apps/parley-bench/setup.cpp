// Creates the rooms of a scenario on Parley, over one synchronous WebSocket connection.
// The peers need no setup: joining a room there creates it.
#include <boost/asio/connect.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <cstdio>

#include "net/jwt.hpp"
#include "net/unix_time.hpp"
#include "runner.hpp"

namespace parley::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ws = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

/// The members of room r for the scenario (the same names runner.cpp connects as).
std::vector<std::string> members_of(const options& o, int r) {
  std::vector<std::string> m;
  if (o.scenario == "fanout") {
    for (int j = 0; j < o.subscribers; ++j)
      m.push_back("s" + std::to_string(r) + "-" + std::to_string(j));
    for (int p = 0; p < o.publishers; ++p)
      m.push_back("p" + std::to_string(r) + "-" + std::to_string(p));
  } else if (o.scenario == "connect") {
    for (int i = r; i < o.connections; i += o.rooms)
      m.push_back("c" + std::to_string(i));
  } else {
    m.push_back("d" + std::to_string(r));
  }
  return m;
}

class setup_connection {
public:
  explicit setup_connection(const options& o) : s_(ioc_) {
    net::jwt_config jwt;
    jwt.secret = o.secret;
    auto token = net::mint_token(jwt, "bench-admin", "", net::unix_seconds(), 3600);
    s_.next_layer().connect({asio::ip::make_address(o.host), o.port});
    s_.set_option(ws::stream_base::decorator([](ws::request_type& req) {
      req.set(beast::http::field::sec_websocket_protocol, "parley.v1.json");
    }));
    s_.handshake(o.host, "/ws?token=" + token);
    s_.text(true);
    read();  // hello
  }

  /// Sends a request and returns the reply's text (an `ok` or an `error`), skipping the
  /// events that may come first (the admin is a member: `room` updates reach it).
  std::string call(const std::string& text) {
    s_.write(asio::buffer(text));
    return next_reply();
  }

  /// Sends all of `texts`, then reads until each has its reply; false if any is an error.
  bool call_all(const std::vector<std::string>& texts) {
    for (auto& t : texts)
      s_.write(asio::buffer(t));
    bool ok = true;
    for (size_t i = 0; i < texts.size(); ++i)
      if (auto reply = next_reply(); reply.find(R"("t":"ok")") == std::string::npos) {
        ok = false;
        std::fprintf(stderr, "parley-bench: setup: %s\n", reply.c_str());
      }
    return ok;
  }

private:
  /// The next reply's text, skipping events.
  std::string next_reply() {
    for (;;) {
      auto frame = read();
      if (frame.find(R"("t":"ok")") != std::string::npos ||
          frame.find(R"("t":"error")") != std::string::npos)
        return frame;
    }
  }

  std::string read() {
    buf_.consume(buf_.size());
    s_.read(buf_);
    return beast::buffers_to_string(buf_.data());
  }

  asio::io_context ioc_;
  ws::stream<tcp::socket> s_;
  beast::flat_buffer buf_;
};

std::string quoted_list(const std::vector<std::string>& items, size_t from, size_t to) {
  std::string out;
  for (size_t i = from; i < to; ++i)
    out += (out.empty() ? "\"" : ",\"") + items[i] + "\"";
  return out;
}

}  // namespace

bool setup_rooms(const options& o) {
  if (o.system != "parley")
    return true;
  try {
    setup_connection conn{o};
    for (int r = 0; r < o.rooms; ++r) {
      auto room = room_name(o, r);
      auto members = members_of(o, r);
      // A create takes up to 1,000 members; the rest are invited.
      auto first = std::min<size_t>(members.size(), 1000);
      auto reply = conn.call(R"({"t":"create","room":")" + room + R"(","members":[)" +
                             quoted_list(members, 0, first) + R"(],"id":1})");
      if (reply.find("\"ok\"") == std::string::npos &&
          reply.find("\"conflict\"") == std::string::npos) {
        std::fprintf(stderr, "parley-bench: create %s: %s\n", room.c_str(), reply.c_str());
        return false;
      }
      for (size_t i = first; i < members.size(); ++i) {
        reply = conn.call(R"({"t":"invite","room":")" + room + R"(","user":")" + members[i] +
                          R"(","id":2})");
        if (reply.find("\"ok\"") == std::string::npos &&
            reply.find("\"conflict\"") == std::string::npos) {
          std::fprintf(stderr, "parley-bench: invite %s: %s\n", members[i].c_str(),
                       reply.c_str());
          return false;
        }
      }
      if (o.scenario == "connect" && o.history > 0) {
        std::vector<std::string> sends;
        for (int i = 0; i < o.history; ++i)
          sends.push_back(R"({"t":"send","room":")" + room + R"(","cid":"h)" +
                          std::to_string(i) + R"(","body":"history )" + std::to_string(i) +
                          R"(","id":)" + std::to_string(10 + i) + "}");
        if (!conn.call_all(sends))
          return false;
      }
    }
    return true;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "parley-bench: setup: %s\n", e.what());
    return false;
  }
}

}  // namespace parley::bench
