#include "runner.hpp"

#include <boost/asio/steady_timer.hpp>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <sstream>
#include <unordered_map>
#include <vector>

#include "client.hpp"
#include "open_loop.hpp"
#include "net/jwt.hpp"
#include "net/unix_time.hpp"

namespace parley::bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;

namespace {

/// The open loop's pacer wakes at most this often (open_loop_schedule): a send leaves at
/// most about this late, and the timer is re-armed at most 5,000 times a second.
constexpr auto min_pacer_gap = std::chrono::microseconds{200};

/// A steady-clock reading in nanoseconds (CLOCK_MONOTONIC: what bodies carry).
int64_t ns_of(steady::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

int64_t mono_ns() {
  return ns_of(steady::now());
}

/// Somebody who connects, and what they do once ready.
struct role {
  enum class kind { subscriber, publisher, idle, durable } k;
  std::string user;
  std::string room;
  int publisher = -1;  ///< Global publisher number (in the body), for publishers.
};

/// The roles of this shard: subscribers (and idle connections) are dealt round robin over
/// the shards; publishers and durable senders all live in shard 0.
std::vector<role> roles_of(const options& o, int shard, int shards) {
  std::vector<role> out;
  int64_t n = 0;
  auto mine = [&] { return n++ % shards == shard; };
  if (o.scenario == "fanout") {
    for (int r = 0; r < o.rooms; ++r) {
      for (int j = 0; j < o.subscribers; ++j)
        if (mine())
          out.push_back({role::kind::subscriber,
                         "s" + std::to_string(r) + "-" + std::to_string(j), room_name(o, r)});
      if (shard == 0)
        for (int p = 0; p < o.publishers; ++p)
          out.push_back({role::kind::publisher,
                         "p" + std::to_string(r) + "-" + std::to_string(p), room_name(o, r),
                         r * o.publishers + p});
    }
  } else if (o.scenario == "connect") {
    for (int i = 0; i < o.connections; ++i)
      if (mine())
        out.push_back({role::kind::idle, "c" + std::to_string(i), room_name(o, i % o.rooms)});
  } else if (o.scenario == "durable" && shard == 0) {
    for (int r = 0; r < o.rooms; ++r)
      out.push_back({role::kind::durable, "d" + std::to_string(r), room_name(o, r), r});
  }
  return out;
}

/// Per subscriber: the last counter seen of each publisher (order and duplicates).
struct subscriber_state {
  std::unordered_map<int, int64_t> last;
};

class shard_run {
public:
  shard_run(const options& o, int shard, int shards)
    : o_(o), shard_(shard), shards_(shards), roles_(roles_of(o, shard, shards)),
      joined_(roles_.size(), false),
      cids_(o.cids, std::random_device{}() ^ (uint64_t(shard) << 32)) {}

  shard_result run(const coordination& co) {
    connect_all();
    co.ready(result_);
    pump_until(co.go);
    switch (scenario_kind()) {
      case 'f': fanout(); break;
      case 'd': durable(); break;
      default: pump_until(co.stop); break;
    }
    for (auto& c : clients_)
      c->close();
    ioc_.restart();
    ioc_.run_for(std::chrono::milliseconds{200});
    return std::move(result_);
  }

private:
  /// Runs the event loop (reads, pongs, replies) until `done()`, checked every 20 ms.
  void pump_until(const std::function<bool()>& done) {
    while (!done()) {
      ioc_.restart();
      ioc_.run_for(std::chrono::milliseconds{20});
    }
  }

  char scenario_kind() const { return o_.scenario.empty() ? 'c' : o_.scenario[0]; }

  void connect_all() {
    auto proto = make_protocol(o_.system);
    tcp::endpoint server{asio::ip::make_address(o_.host), o_.port};
    net::jwt_config jwt;
    jwt.secret = o_.secret;
    auto now_s = net::unix_seconds();
    subs_.resize(roles_.size());
    auto start = steady::now();
    for (size_t i = 0; i < roles_.size(); ++i) {
      auto& r = roles_[i];
      client::callbacks cb;
      cb.ready = [this](client& c) { on_ready(c); };
      cb.ack = [this](client& c, int64_t id) { on_ack(c, id); };
      cb.delivery = [this](client& c, std::string_view body) { on_delivery(c, body); };
      cb.error = [this](client& c, std::string_view what) { on_error(c, what); };
      auto c = std::make_shared<client>(ioc_, proto->clone(), std::move(cb), r.user, r.room);
      c->index = static_cast<int>(i);
      auto source = asio::ip::make_address_v4(
        0x7F000001u + static_cast<uint32_t>((i * shards_ + shard_) % o_.source_ips));
      auto token = proto->needs_token() ? net::mint_token(jwt, r.user, "", now_s, 24 * 3600)
                                        : std::string{};
      c->start(server, source, token);
      clients_.push_back(std::move(c));
      // Keep the connect rate bounded: let the event loop work between batches.
      if (i % 256 == 255) {
        ioc_.restart();
        ioc_.poll();
      }
    }
    auto deadline = steady::now() + std::chrono::seconds{180};
    while (ready_ + static_cast<size_t>(result_.failures) < roles_.size() &&
           steady::now() < deadline) {
      ioc_.restart();
      ioc_.run_for(std::chrono::milliseconds{20});
    }
    result_.connected = static_cast<int64_t>(ready_);
    result_.connect_seconds = std::chrono::duration<double>(steady::now() - start).count();
  }

  void on_ready(client& c) {
    auto& r = roles_[c.index];
    if (r.k == role::kind::idle && o_.history > 0)
      c.join(1, 0);  // a resume: the room's stored messages, then the `ok`
    else if (r.k == role::kind::subscriber || r.k == role::kind::idle)
      c.join(1);  // ready once joined
    else
      ++ready_;
  }

  void on_ack(client& c, int64_t id) {
    auto& r = roles_[c.index];
    if (id == 1 && !joined(c.index) &&
        (r.k == role::kind::subscriber || r.k == role::kind::idle)) {
      mark_joined(c.index);
      ++ready_;
      return;
    }
    if (r.k != role::kind::publisher && r.k != role::kind::durable)
      return;
    auto key = (static_cast<int64_t>(c.index) << 32) | id;
    auto it = sent_at_.find(key);
    if (it == sent_at_.end())
      return;
    ++result_.acked;
    if (measuring(it->second))
      result_.ack_us.record(static_cast<uint64_t>((mono_ns() - it->second) / 1000));
    sent_at_.erase(it);
    if ((r.k == role::kind::durable || (r.k == role::kind::publisher && closed_loop())) &&
        steady::now() < end_)
      publish(c);
  }

  void on_delivery(client& c, std::string_view body) {
    if (roles_[c.index].k != role::kind::subscriber)
      return;  // a connect scenario's replay (--history)
    // body: "publisher,counter,sent_ns"
    auto end = body.data() + body.size();
    int pub = 0;
    int64_t counter = 0, sent = 0;
    auto p1 = std::from_chars(body.data(), end, pub).ptr;
    if (p1 >= end)
      return;
    auto p2 = std::from_chars(p1 + 1, end, counter).ptr;
    if (p2 >= end)
      return;
    std::from_chars(p2 + 1, end, sent);
    auto& last = subs_[c.index].last[pub];
    if (counter <= last) {
      ++(counter == last ? result_.duplicated : result_.reordered);
      return;
    }
    last = counter;  // a skipped counter is a send the server refused: counted via acks
    ++result_.delivered;
    // One clock reading per delivery (two were an eighth of the load generator's CPU).
    last_arrival_ = steady::now();
    auto now = ns_of(last_arrival_);
    if (measuring(now) && last_arrival_ <= end_)
      ++result_.delivered_in_window;
    if (measuring(sent))
      result_.delivery_us.record(static_cast<uint64_t>((now - sent) / 1000));
  }

  void on_error(client& c, std::string_view what) {
    auto& r = roles_[c.index];
    if (!joined(c.index) && r.k != role::kind::publisher && r.k != role::kind::durable)
      ++result_.failures;  // never got ready
    if (++result_.errors <= 5)
      std::fprintf(stderr, "parley-bench[%d]: %s: %.*s\n", shard_, c.user().c_str(),
                   static_cast<int>(std::min<size_t>(what.size(), 300)), what.data());
  }

  /// Fan-out with --rate 0: publishers send as fast as acks come back (saturation).
  bool closed_loop() const { return !o_.open_loop(); }

  bool joined(int i) const { return i < static_cast<int>(joined_.size()) && joined_[i]; }
  void mark_joined(int i) { joined_[i] = true; }

  bool measuring(int64_t sent_ns) const { return measure_from_ns_ > 0 && sent_ns >= measure_from_ns_; }

  void publish(client& c) {
    auto& r = roles_[c.index];
    auto n = ++counters_[c.index];
    auto id = n + 1;  // request id 1 is the join
    auto now = mono_ns();
    auto body = std::to_string(r.publisher) + "," + std::to_string(n) + "," +
                std::to_string(now);
    if (c.proto().acks_publish())
      sent_at_[(static_cast<int64_t>(c.index) << 32) | id] = now;
    else
      ++result_.acked;  // NATS does not acknowledge: counted as sent
    ++result_.sent;
    c.publish(cids_.next(r.user, n), body, id);
  }

  void start_clock() {
    auto now = steady::now();
    measure_from_ns_ = mono_ns() + static_cast<int64_t>(o_.warmup * 1e9);
    end_ = now + std::chrono::duration_cast<steady::duration>(
                   std::chrono::duration<double>(o_.warmup + o_.duration));
  }

  void fanout() {
    start_clock();
    std::vector<client*> pubs;
    for (auto& c : clients_)
      if (roles_[c->index].k == role::kind::publisher)
        pubs.push_back(c.get());
    if (closed_loop()) {
      // As fast as the server takes them: each publisher keeps `in_flight` sends unacked.
      for (auto* p : pubs)
        for (int i = 0; i < o_.in_flight; ++i)
          publish(*p);
      ioc_.restart();
      drain();
      return;
    }
    // Every publisher sends on its own schedule; together they offer `rate`, evenly spread.
    // One timer paces them all (open_loop_schedule: a timer each cost the load generator
    // a quarter of its core in timerfd_settime at high rates).
    auto interval = std::chrono::duration_cast<steady::duration>(
      std::chrono::duration<double>(pubs.empty() ? 1.0 : pubs.size() / o_.rate));
    open_loop_schedule<steady> schedule{steady::now(), interval, pubs.size()};
    asio::steady_timer pacer{ioc_};
    pace(pacer, schedule, pubs);
    ioc_.restart();
    drain();
  }

  /// Sends what is due, then sleeps until the next send is (at least `min_pacer_gap`).
  void pace(asio::steady_timer& t, open_loop_schedule<steady>& schedule,
            const std::vector<client*>& pubs) {
    auto now = steady::now();
    bool measured = measuring(ns_of(now));
    schedule.take_due(now, end_, [&](size_t i, steady::time_point due) {
      if (measured)
        result_.send_late_us.record(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(now - due).count()));
      publish(*pubs[i]);
    });
    if (schedule.next_due() >= end_)
      return;
    t.expires_at(schedule.wake_at(now, min_pacer_gap));
    t.async_wait([this, &t, &schedule, &pubs](boost::system::error_code ec) {
      if (!ec)
        pace(t, schedule, pubs);
    });
  }

  void durable() {
    start_clock();
    for (auto& c : clients_)
      if (roles_[c->index].k == role::kind::durable)
        for (int i = 0; i < o_.in_flight; ++i)
          publish(*c);
    ioc_.restart();
    drain();
  }

  /// After the timed phase: runs until what is still on its way has arrived — every send
  /// acked and no delivery for a second — or 60 s have passed. A server that fell behind
  /// delivers its backlog late rather than having it counted as lost; what never comes is.
  void drain() {
    ioc_.restart();
    ioc_.run_until(end_);
    auto deadline = steady::now() + std::chrono::seconds{60};
    while (steady::now() < deadline) {
      ioc_.restart();
      ioc_.run_for(std::chrono::milliseconds{100});
      if (sent_at_.empty() && steady::now() - last_arrival_ > std::chrono::seconds{1})
        break;
    }
  }

  const options& o_;
  int shard_, shards_;
  std::vector<role> roles_;
  asio::io_context ioc_{1};
  std::vector<std::shared_ptr<client>> clients_;
  std::vector<subscriber_state> subs_;
  std::vector<bool> joined_;
  cid_source cids_;
  std::unordered_map<int, int64_t> counters_;
  std::unordered_map<int64_t, int64_t> sent_at_;  ///< (client, id) -> send time
  size_t ready_ = 0;
  int64_t measure_from_ns_ = 0;
  steady::time_point end_;
  steady::time_point last_arrival_;  ///< Of the latest delivery (drain()).
  shard_result result_;
};

}  // namespace

std::string room_name(const options& o, int r) {
  return "bench-" + o.scenario + "-" + std::to_string(r);
}

shard_result run_shard(const options& o, int shard, int shards, const coordination& co) {
  shard_run run{o, shard, shards};
  return run.run(co);
}

void shard_result::merge(const shard_result& o) {
  delivery_us.merge(o.delivery_us);
  ack_us.merge(o.ack_us);
  send_late_us.merge(o.send_late_us);
  sent += o.sent;
  acked += o.acked;
  delivered += o.delivered;
  duplicated += o.duplicated;
  reordered += o.reordered;
  errors += o.errors;
  connected += o.connected;
  delivered_in_window += o.delivered_in_window;
  failures += o.failures;
  connect_seconds = std::max(connect_seconds, o.connect_seconds);
}

std::string shard_result::serialize() const {
  std::ostringstream out;
  out << sent << ' ' << acked << ' ' << delivered << ' ' << duplicated << ' ' << reordered << ' '
      << errors << ' ' << connected << ' ' << failures << ' ' << delivered_in_window << ' '
      << connect_seconds << '|'
      << delivery_us.serialize() << '|' << ack_us.serialize() << '|'
      << send_late_us.serialize();
  return out.str();
}

shard_result shard_result::parse(const std::string& line) {
  shard_result r;
  auto a = line.find('|');
  auto b = line.find('|', a + 1);
  auto c = line.find('|', b + 1);
  std::istringstream head{line.substr(0, a)};
  head >> r.sent >> r.acked >> r.delivered >> r.duplicated >> r.reordered >> r.errors >>
    r.connected >> r.failures >> r.delivered_in_window >> r.connect_seconds;
  r.delivery_us = hdr_histogram::parse(line.substr(a + 1, b - a - 1));
  r.ack_us = hdr_histogram::parse(line.substr(b + 1, c - b - 1));
  r.send_late_us = hdr_histogram::parse(line.substr(c + 1));
  return r;
}

}  // namespace parley::bench
