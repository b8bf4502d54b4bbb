#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "protocols.hpp"
#include "ws_client_frames.hpp"

namespace parley::bench {

/// One load-generator connection: a WebSocket client that speaks one system's protocol and
/// reports what the server sends through callbacks. Single-threaded: all callbacks run on the
/// io_context's one thread.
///
/// Why not Beast's websocket::stream (which it used first): reading one message per
/// composed operation cost the load generator ~3 µs per frame (perf: 63 % of its CPU in
/// Beast's read_op and asio's executor copies), so at 2,000 subscribers it, not the server,
/// was the bottleneck (50 frames waiting in every receive queue). This client reads up to 64 KiB
/// per system call, parses the frames in place and writes all queued frames at once.
class client : public std::enable_shared_from_this<client> {
public:
  struct callbacks {
    std::function<void(client&)> ready;                         ///< session usable
    std::function<void(client&, int64_t id)> ack;               ///< request answered
    std::function<void(client&, std::string_view body)> delivery;
    std::function<void(client&, std::string_view what)> error;  ///< failure or error reply
  };

  client(boost::asio::io_context& ioc, std::unique_ptr<protocol> proto, callbacks cb,
         std::string user, std::string room);
  ~client();

  /// Connects from `source` (a local address, e.g. 127.0.0.3) to `server`.
  void start(const boost::asio::ip::tcp::endpoint& server, const boost::asio::ip::address& source,
             const std::string& token);

  /// `since`: ask for the room's log after it too (a resume's replay).
  void join(int64_t id, std::optional<int64_t> since = std::nullopt);
  void publish(const std::string& cid, const std::string& body, int64_t id);
  void close();

  const std::string& user() const { return user_; }
  const std::string& room() const { return room_; }
  protocol& proto() { return *proto_; }
  int index = 0;  ///< The caller's number for this client.

private:
  struct impl;
  void send(std::string_view text);
  void send_frame(ws_frame_op op, std::string_view payload);
  void write_next();
  void read();
  /// Handles what the buffer holds (the upgrade response, then frames); false to stop.
  bool consume();
  void on_message(std::string_view message);

  std::unique_ptr<impl> impl_;
  std::unique_ptr<protocol> proto_;
  callbacks cb_;
  std::string user_, room_;
  std::string out_;       ///< Frames queued while a write is in flight.
  std::string in_write_;  ///< The write in flight.
  bool writing_ = false;
  bool closed_ = false;
};

}  // namespace parley::bench
