// parley-bench: a load generator speaking the Parley protocol over real WebSockets.
//
//   parley-bench fanout --port P --secret S [--rooms R] [--subscribers S] [--publishers N]
//                       [--rate MSGS_PER_S] [--duration SECONDS] [--warmup SECONDS]
//
// One single-threaded event loop. R rooms, each with S subscribers (joined) and N publishers
// (not joined) sending at RATE messages per second in total. Every body carries the
// publisher, its counter and the send time (CLOCK_MONOTONIC, same host), so each subscriber
// measures delivery latency and detects lost, duplicated and reordered messages; each
// publisher measures ack latency (send -> `ok`). Prints a table and one JSON line.
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench_stats.hpp"
#include "net/jwt.hpp"
#include "net/unix_time.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ws = beast::websocket;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;

namespace {

int64_t mono_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now().time_since_epoch())
    .count();
}

struct options {
  uint16_t port = 8080;
  std::string secret;
  int rooms = 1;
  int subscribers = 100;
  int publishers = 1;
  double rate = 1000;
  double duration = 10;
  double warmup = 2;
};

struct results {
  parley::bench::samples delivery_us;
  parley::bench::samples ack_us;
  int64_t sent = 0, acked = 0, delivered = 0, errors = 0;
  int64_t lost = 0, duplicated = 0, reordered = 0;
};

class bench;

/// One WebSocket client connection.
class client : public std::enable_shared_from_this<client> {
public:
  client(asio::io_context& ioc, bench& b, std::string user, std::string room, bool subscriber,
         int publisher_index)
    : ws_(ioc), b_(b), user_(std::move(user)), room_(std::move(room)),
      subscriber_(subscriber), publisher_(publisher_index) {}

  void start(uint16_t port, const std::string& token);
  void send_text(std::string text);
  void publish();
  const std::string& room() const { return room_; }
  const std::string& user() const { return user_; }

private:
  void read();
  void on_frame(std::string_view text);
  void write_next();

  ws::stream<beast::tcp_stream> ws_;
  bench& b_;
  std::string user_, room_;
  bool subscriber_;
  int publisher_;
  beast::flat_buffer buf_;
  std::deque<std::string> out_;
  bool writing_ = false;
  int64_t counter_ = 0;
  std::unordered_map<int64_t, int64_t> sent_at_;  // counter -> send time (ns)
  std::map<int, int64_t> last_seen_;              // publisher -> last counter seen
  bool joined_ = false;
};

class bench {
public:
  explicit bench(options o) : opt_(std::move(o)) {}

  int run();
  void ready() {
    if (++ready_ == expected_ready_)
      start_publishing();
  }
  bool measuring() const { return mono_ns() >= measure_from_ns_ && measure_from_ns_ > 0; }
  results& res() { return res_; }
  const options& opt() const { return opt_; }
  void failed(const std::string& what) {
    if (++res_.errors <= 5)
      std::fprintf(stderr, "parley-bench: %s\n", what.c_str());
  }

private:
  void start_publishing();
  void tick(size_t i, steady::time_point next);

  options opt_;
  asio::io_context ioc_{1};
  std::vector<std::shared_ptr<client>> subscribers_, publishers_;
  std::vector<std::unique_ptr<asio::steady_timer>> timers_;
  int ready_ = 0, expected_ready_ = 0;
  int64_t measure_from_ns_ = 0;
  steady::time_point end_;
  results res_;
};

void client::start(uint16_t port, const std::string& token) {
  auto self = shared_from_this();
  beast::get_lowest_layer(ws_).async_connect(
    tcp::endpoint{asio::ip::make_address("127.0.0.1"), port},
    [self, token](beast::error_code ec) {
      if (ec)
        return self->b_.failed("connect: " + ec.message());
      beast::get_lowest_layer(self->ws_).socket().set_option(tcp::no_delay(true));
      self->ws_.set_option(ws::stream_base::decorator([](ws::request_type& req) {
        req.set(beast::http::field::sec_websocket_protocol, "parley.v1.json");
      }));
      self->ws_.async_handshake("127.0.0.1", "/ws?token=" + token, [self](beast::error_code ec) {
        if (ec)
          return self->b_.failed("handshake: " + ec.message());
        self->ws_.text(true);
        self->read();
      });
    });
}

void client::read() {
  auto self = shared_from_this();
  ws_.async_read(buf_, [self](beast::error_code ec, size_t) {
    if (ec) {
      if (ec != asio::error::operation_aborted && ec != ws::error::closed)
        self->b_.failed(self->user_ + " read: " + ec.message());
      return;
    }
    auto data = self->buf_.data();
    std::string_view text{static_cast<const char*>(data.data()), data.size()};
    self->on_frame(text);
    self->buf_.consume(self->buf_.size());
    self->read();
  });
}

int64_t field_int(std::string_view text, std::string_view key) {
  auto p = text.find(key);
  if (p == std::string_view::npos)
    return -1;
  p += key.size();
  int64_t v = -1;
  std::from_chars(text.data() + p, text.data() + text.size(), v);
  return v;
}

void client::on_frame(std::string_view text) {
  auto now = mono_ns();
  auto& r = b_.res();
  if (text.starts_with("{\"t\":\"hello\"")) {
    if (subscriber_)
      send_text("{\"t\":\"join\",\"room\":\"" + room_ + "\",\"id\":1}");
    else
      b_.ready();
    return;
  }
  if (text.starts_with("{\"t\":\"msg\"")) {
    // body is "publisher,counter,sent_ns"
    auto b = text.find("\"body\":\"");
    if (b == std::string_view::npos)
      return;
    b += 8;
    int pub = 0;
    int64_t counter = 0, sent_ns = 0;
    auto end = text.data() + text.size();
    auto p1 = std::from_chars(text.data() + b, end, pub).ptr + 1;
    auto p2 = std::from_chars(p1, end, counter).ptr + 1;
    std::from_chars(p2, end, sent_ns);
    // Counters only grow; a skipped one is a send the broker refused (never stored), so
    // losses are counted against acks at the end, not from gaps.
    auto [it, fresh] = last_seen_.try_emplace(pub, 0);
    if (counter <= it->second) {
      ++(counter == it->second ? r.duplicated : r.reordered);
      return;
    }
    it->second = counter;
    ++r.delivered;
    if (b_.measuring())
      r.delivery_us.add((now - sent_ns) / 1000.0);
    return;
  }
  if (text.starts_with("{\"t\":\"ok\"")) {
    if (subscriber_ && !joined_) {
      joined_ = true;
      b_.ready();
      return;
    }
    auto id = field_int(text, "\"id\":");
    auto it = sent_at_.find(id);
    if (it != sent_at_.end()) {
      ++r.acked;
      if (b_.measuring())
        r.ack_us.add((now - it->second) / 1000.0);
      sent_at_.erase(it);
    }
    return;
  }
  if (text.starts_with("{\"t\":\"error\"")) {
    sent_at_.erase(field_int(text, "\"id\":"));
    b_.failed(user_ + ": " + std::string{text});
  }
}

void client::publish() {
  ++counter_;
  auto now = mono_ns();
  sent_at_[counter_] = now;
  ++b_.res().sent;
  send_text("{\"t\":\"send\",\"room\":\"" + room_ + "\",\"cid\":\"" + user_ + "-" +
            std::to_string(counter_) + "\",\"body\":\"" + std::to_string(publisher_) + "," +
            std::to_string(counter_) + "," + std::to_string(now) +
            "\",\"id\":" + std::to_string(counter_) + "}");
}

void client::send_text(std::string text) {
  out_.push_back(std::move(text));
  if (!writing_)
    write_next();
}

void client::write_next() {
  if (out_.empty()) {
    writing_ = false;
    return;
  }
  writing_ = true;
  auto self = shared_from_this();
  ws_.async_write(asio::buffer(out_.front()), [self](beast::error_code ec, size_t) {
    if (ec)
      return self->b_.failed("write: " + ec.message());
    self->out_.pop_front();
    self->write_next();
  });
}

/// Creates the rooms over one setup connection, synchronously.
bool create_rooms(const options& o, const std::vector<std::string>& rooms,
                  const std::vector<std::string>& members, const parley::net::jwt_config& jwt) {
  asio::io_context ioc;
  ws::stream<tcp::socket> s{ioc};
  beast::error_code ec;
  s.next_layer().connect({asio::ip::make_address("127.0.0.1"), o.port}, ec);
  if (ec)
    return false;
  auto token = parley::net::mint_token(jwt, "bench-admin", "", parley::net::unix_seconds(), 3600);
  s.handshake("127.0.0.1", "/ws?token=" + token, ec);
  if (ec)
    return false;
  beast::flat_buffer buf;
  s.read(buf, ec);  // hello
  for (auto& room : rooms) {
    std::string m;
    for (auto& u : members)
      m += (m.empty() ? "\"" : ",\"") + u + "\"";
    s.write(asio::buffer("{\"t\":\"create\",\"room\":\"" + room + "\",\"members\":[" + m +
                         "],\"id\":1}"),
            ec);
    buf.consume(buf.size());
    s.read(buf, ec);
    if (ec || beast::buffers_to_string(buf.data()).find("\"ok\"") == std::string::npos) {
      std::fprintf(stderr, "create %s: %s\n", room.c_str(),
                   beast::buffers_to_string(buf.data()).c_str());
      return false;
    }
  }
  s.close(ws::close_code::normal, ec);
  return true;
}

int bench::run() {
  parley::net::jwt_config jwt;
  jwt.secret = opt_.secret;
  std::vector<std::string> rooms, members;
  auto tag = std::to_string(mono_ns() % 1000000007);
  for (int r = 0; r < opt_.rooms; ++r)
    rooms.push_back("bench-" + tag + "-" + std::to_string(r));
  for (int i = 0; i < opt_.subscribers; ++i)
    members.push_back("s" + std::to_string(i));
  for (int i = 0; i < opt_.publishers; ++i)
    members.push_back("p" + std::to_string(i));
  if (!create_rooms(opt_, rooms, members, jwt)) {
    std::fprintf(stderr, "parley-bench: could not create rooms\n");
    return 1;
  }
  auto now_s = parley::net::unix_seconds();
  for (int r = 0; r < opt_.rooms; ++r) {
    for (int i = 0; i < opt_.subscribers; ++i)
      subscribers_.push_back(
        std::make_shared<client>(ioc_, *this, "s" + std::to_string(i), rooms[r], true, -1));
    for (int i = 0; i < opt_.publishers; ++i)
      publishers_.push_back(std::make_shared<client>(
        ioc_, *this, "p" + std::to_string(i), rooms[r], false, r * opt_.publishers + i));
  }
  expected_ready_ = static_cast<int>(subscribers_.size() + publishers_.size());
  for (auto* group : {&subscribers_, &publishers_})
    for (auto& c : *group)
      c->start(opt_.port, parley::net::mint_token(jwt, c->user(), "", now_s, 3600));
  ioc_.run();
  // Every acked message must reach every subscriber of its room.
  auto expected = res_.acked * opt_.subscribers;
  res_.lost = std::max<int64_t>(0, expected - res_.delivered);
  return 0;
}

void bench::start_publishing() {
  measure_from_ns_ = mono_ns() + static_cast<int64_t>(opt_.warmup * 1e9);
  end_ = steady::now() + std::chrono::nanoseconds(static_cast<int64_t>((opt_.warmup + opt_.duration) * 1e9));
  for (size_t i = 0; i < publishers_.size(); ++i) {
    timers_.push_back(std::make_unique<asio::steady_timer>(ioc_));
    tick(i, steady::now());
  }
}

void bench::tick(size_t i, steady::time_point next) {
  auto now = steady::now();
  if (now >= end_) {
    // Let the last deliveries arrive, then stop.
    timers_[i]->expires_after(std::chrono::seconds{2});
    timers_[i]->async_wait([this](beast::error_code) { ioc_.stop(); });
    return;
  }
  publishers_[i]->publish();
  auto interval = std::chrono::nanoseconds(
    static_cast<int64_t>(1e9 * static_cast<double>(publishers_.size()) / opt_.rate));
  next += interval;
  timers_[i]->expires_at(next);
  timers_[i]->async_wait([this, i, next](beast::error_code ec) {
    if (!ec)
      tick(i, next);
  });
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  std::string scenario = argc > 1 ? argv[1] : "";
  if (scenario != "fanout") {
    std::fprintf(stderr, "usage: parley-bench fanout --port P --secret S [--rooms R] "
                         "[--subscribers S] [--publishers N] [--rate MSGS_PER_S] "
                         "[--duration S] [--warmup S]\n");
    return 2;
  }
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--port") o.port = static_cast<uint16_t>(std::stoi(v));
    else if (k == "--secret") o.secret = v;
    else if (k == "--rooms") o.rooms = std::stoi(v);
    else if (k == "--subscribers") o.subscribers = std::stoi(v);
    else if (k == "--publishers") o.publishers = std::stoi(v);
    else if (k == "--rate") o.rate = std::stod(v);
    else if (k == "--duration") o.duration = std::stod(v);
    else if (k == "--warmup") o.warmup = std::stod(v);
    else {
      std::fprintf(stderr, "parley-bench: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  bench b{o};
  if (int rc = b.run())
    return rc;
  auto& r = b.res();
  auto d = r.delivery_us.summary();
  auto a = r.ack_us.summary();
  std::printf("scenario fanout: %d room(s) x %d subscribers x %d publisher(s), %.0f msg/s for "
              "%.0f s (+%.0f s warm-up)\n",
              o.rooms, o.subscribers, o.publishers, o.rate, o.duration, o.warmup);
  std::printf("%-10s %10s %10s %10s %10s %10s %10s\n", "latency", "p50 us", "p90 us",
              "p99 us", "p99.9 us", "max us", "samples");
  for (auto& [name, s] : {std::pair{"delivery", d}, std::pair{"ack", a}})
    std::printf("%-10s %10.0f %10.0f %10.0f %10.0f %10.0f %10zu\n", name, s.p50, s.p90, s.p99,
                s.p999, s.max, s.count);
  std::printf("sent %lld, acked %lld, delivered %lld (%.0f/s), lost %lld, duplicated %lld, "
              "reordered %lld, errors %lld\n",
              (long long)r.sent, (long long)r.acked, (long long)r.delivered,
              d.count / std::max(o.duration, 1e-9), (long long)r.lost,
              (long long)r.duplicated, (long long)r.reordered, (long long)r.errors);
  std::printf("{\"scenario\":\"fanout\",\"rooms\":%d,\"subscribers\":%d,\"publishers\":%d,"
              "\"rate\":%.0f,\"duration_s\":%.1f,\"deliveries_per_s\":%.0f,"
              "\"delivery_us\":{\"p50\":%.0f,\"p90\":%.0f,\"p99\":%.0f,\"p999\":%.0f,"
              "\"max\":%.0f},\"ack_us\":{\"p50\":%.0f,\"p90\":%.0f,\"p99\":%.0f,\"p999\":%.0f,"
              "\"max\":%.0f},\"sent\":%lld,\"acked\":%lld,\"delivered\":%lld,\"lost\":%lld,"
              "\"duplicated\":%lld,\"reordered\":%lld,\"errors\":%lld}\n",
              o.rooms, o.subscribers, o.publishers, o.rate, o.duration,
              d.count / std::max(o.duration, 1e-9), d.p50, d.p90, d.p99, d.p999, d.max, a.p50,
              a.p90, a.p99, a.p999, a.max, (long long)r.sent, (long long)r.acked,
              (long long)r.delivered, (long long)r.lost, (long long)r.duplicated,
              (long long)r.reordered, (long long)r.errors);
  return r.lost || r.duplicated || r.reordered || r.errors ? 1 : 0;
}
