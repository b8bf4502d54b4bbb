// parley-storage-bench: durable event throughput and commit latency through the room and
// writer actors (no network), for a number of concurrently sending rooms, with group commit
// and with one transaction per event, on any store.
//
//   parley-storage-bench --store URL [--rooms 1,16,256] [--in-flight 16] [--duration 5]
//                        [--modes group,single] [--writers N] [--max-batch 1024]
//
// For each (mode, rooms): phase 1 keeps `in-flight` sends outstanding per room (closed loop)
// and reports the saturated events/s and ack latency; phase 2 sends at half that rate (open
// loop, round robin over the rooms) and reports the latency there. "Ack latency" is what a
// sender waits for: room -> writer -> commit -> room -> reply. Prints a table and JSON lines.
#include <caf/all.hpp>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "actors/broker.hpp"
#include "actors/errors.hpp"
#include "actors/messages.hpp"
#include "bench/storage/samples.hpp"
#include "config/text.hpp"
#include "storage/store.hpp"

using namespace parley;
using namespace std::chrono;
using steady = std::chrono::steady_clock;

namespace {

struct options {
  std::string store;
  std::vector<int> rooms{1, 16, 256};
  std::vector<std::string> modes{"group", "single"};
  int in_flight = 16;
  double duration = 5;
  int writers = 0;
  int64_t max_batch = 1024;
  double open_rate = 0;  ///< Phase 2's rate; 0 = half the saturated rate.
};

/// What one phase measured; filled by the driver actor.
struct phase_result {
  int64_t done = 0;
  int64_t errors = 0;
  double seconds = 0;
  bench::samples latency_us;
};

/// Sends events into rooms. Closed loop (`window` > 0): that many outstanding per room.
/// Open loop: one send every `interval`, round robin over the rooms.
struct driver_state {
  std::vector<caf::actor> rooms;
  std::shared_ptr<phase_result> out;
  int window = 0;
  nanoseconds interval{0};
  steady::time_point start, end;
  std::string cid_prefix;  ///< Unique per phase: a later phase must not resend old cids.
  int64_t counter = 0;
  int outstanding = 0;
  size_t next_room = 0;
  caf::response_promise finished;
  static inline const char* name = "bench.driver";
};

using driver_ptr = caf::stateful_actor<driver_state>*;
using run_atom = caf::atom_constant<caf::atom("run")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;

void send_one(driver_ptr self, size_t room);

void finish_if_done(driver_ptr self) {
  auto& st = self->state;
  if (st.outstanding == 0 && steady::now() >= st.end && st.finished.pending()) {
    st.out->seconds = duration<double>(steady::now() - st.start).count();
    st.finished.deliver(true);
  }
}

void on_reply(driver_ptr self, size_t room, steady::time_point t0, bool ok) {
  auto& st = self->state;
  --st.outstanding;
  ++(ok ? st.out->done : st.out->errors);
  st.out->latency_us.add(duration<double, std::micro>(steady::now() - t0).count());
  if (st.window > 0 && steady::now() < st.end)
    send_one(self, room);
  finish_if_done(self);
}

void send_one(driver_ptr self, size_t room) {
  auto& st = self->state;
  actors::send_req req;
  req.room = "bench";
  req.cid = st.cid_prefix + std::to_string(++st.counter);
  req.body = "durable event " + std::to_string(st.counter);
  auto t0 = steady::now();
  ++st.outstanding;
  self->request(st.rooms[room], seconds{30}, actors::send_atom::value, std::string{"bench"}, req)
    .then([=](actors::ok_send&) { on_reply(self, room, t0, true); },
          [=](caf::error& err) {
            if (self->state.out->errors < 3)
              std::fprintf(stderr, "storage-bench: %s\n", actors::to_error_info(err).message.c_str());
            on_reply(self, room, t0, false);
          });
}

caf::behavior driver(driver_ptr self, std::vector<caf::actor> rooms,
                     std::shared_ptr<phase_result> out) {
  self->state.rooms = std::move(rooms);
  self->state.out = std::move(out);
  self->state.cid_prefix = "d" + std::to_string(self->id()) + "-";
  return {
    [=](run_atom, int window, int64_t interval_ns, double seconds_) {
      auto& st = self->state;
      st.window = window;
      st.interval = nanoseconds{interval_ns};
      st.start = steady::now();
      st.end = st.start + duration_cast<nanoseconds>(duration<double>(seconds_));
      st.finished = self->make_response_promise();
      if (window > 0) {
        for (size_t r = 0; r < st.rooms.size(); ++r)
          for (int i = 0; i < window; ++i)
            send_one(self, r);
      } else {
        self->send(self, tick_atom::value);
      }
      return st.finished;
    },
    [=](tick_atom) {
      auto& st = self->state;
      if (steady::now() >= st.end) {
        finish_if_done(self);
        return;
      }
      // Catch up when the timer fired late, so the offered rate holds.
      auto due = st.start + st.interval * (st.counter + 1);
      while (steady::now() >= due && steady::now() < st.end) {
        send_one(self, st.next_room++ % st.rooms.size());
        due = st.start + st.interval * (st.counter + 1);
      }
      self->delayed_send(self, duration_cast<microseconds>(due - steady::now()),
                         tick_atom::value);
    },
  };
}

std::shared_ptr<phase_result> run_phase(caf::actor_system& sys,
                                        const std::vector<caf::actor>& rooms, int window,
                                        nanoseconds interval, double seconds_) {
  auto out = std::make_shared<phase_result>();
  auto d = sys.spawn(driver, rooms, out);
  caf::scoped_actor self{sys};
  self->request(d, caf::infinite, run_atom::value, window, int64_t{interval.count()}, seconds_)
    .receive([](bool) {}, [](caf::error&) {});
  self->send_exit(d, caf::exit_reason::user_shutdown);
  return out;
}

struct config_result {
  std::string mode;
  int rooms = 0;
  double saturated_eps = 0;
  bench::samples::stats saturated;
  double half_eps = 0;
  bench::samples::stats half;
  int64_t errors = 0;
};

config_result run_config(const options& o, const std::string& mode, int nrooms, int run) {
  actors::actor_config cfg;
  caf::actor_system sys{cfg};
  auto bc = actors::broker_config{};
  bc.writer.max_batch = mode == "single" ? 1 : o.max_batch;
  bc.writers = o.writers > 0 ? o.writers
               : o.store.starts_with("sqlite:")
                 ? 1
                 : std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
  bc.readers = 1;
  bc.room.max_in_flight = std::max<int64_t>(1000, o.in_flight * 2);
  auto url = o.store;
  auto b = actors::broker::start(sys, [url] { return storage::open_store(url); }, bc);
  if (!b) {
    std::fprintf(stderr, "storage-bench: %s\n", b.err().message.c_str());
    std::exit(1);
  }
  // Fresh rooms for every configuration, so heads and indexes start alike.
  auto db = storage::open_store(url);
  std::vector<caf::actor> rooms;
  caf::scoped_actor self{sys};
  for (int r = 0; r < nrooms; ++r) {
    storage::room_record rec;
    rec.id = "bench-" + mode + "-" + std::to_string(run) + "-" + std::to_string(nrooms) + "-" +
             std::to_string(r);
    rec.created_by = "bench";
    rec.members = {{"bench", storage::member_role::admin, 0, 0}};
    db.value()->create_room(rec);
    self->request(b.value()->directory(), caf::infinite, actors::get_room_atom::value, rec.id)
      .receive([&](caf::actor& a) { rooms.push_back(a); }, [](caf::error&) {});
  }
  config_result res{mode, nrooms};
  auto sat = run_phase(sys, rooms, o.in_flight, {}, o.duration);
  res.saturated_eps = sat->done / sat->seconds;
  res.saturated = sat->latency_us.summary();
  auto half_rate = o.open_rate > 0 ? o.open_rate : std::max(1.0, res.saturated_eps / 2);
  auto interval = duration_cast<nanoseconds>(duration<double>(1.0 / half_rate));
  auto half = run_phase(sys, rooms, 0, interval, o.duration);
  res.half_eps = half->done / half->seconds;
  res.half = half->latency_us.summary();
  res.errors = sat->errors + half->errors;
  b.value()->drain(seconds{10});
  return res;
}

std::vector<int> int_list(const std::string& text) {
  std::vector<int> out;
  for (auto& s : config::split_list(text))
    out.push_back(std::stoi(s));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--store") o.store = v;
    else if (k == "--rooms") o.rooms = int_list(v);
    else if (k == "--modes") o.modes = config::split_list(v);
    else if (k == "--in-flight") o.in_flight = std::stoi(v);
    else if (k == "--duration") o.duration = std::stod(v);
    else if (k == "--writers") o.writers = std::stoi(v);
    else if (k == "--max-batch") o.max_batch = std::stoll(v);
    else if (k == "--open-rate") o.open_rate = std::stod(v);
    else {
      std::fprintf(stderr, "storage-bench: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (o.store.empty()) {
    std::fprintf(stderr, "usage: parley-storage-bench --store URL [--rooms 1,16,256] "
                         "[--in-flight N] [--duration S] [--modes group,single] "
                         "[--writers N] [--max-batch N]\n");
    return 2;
  }
  {
    auto db = storage::open_store(o.store);
    if (!db || db.value()->migrate()) {
      std::fprintf(stderr, "storage-bench: cannot open or migrate %s\n", o.store.c_str());
      return 1;
    }
  }
  std::printf("store %s, %d in flight per room, %.0f s per phase\n", o.store.c_str(),
              o.in_flight, o.duration);
  std::printf("%-7s %6s | %12s %9s %9s | %12s %9s %9s %9s\n", "mode", "rooms", "saturated/s",
              "p50 us", "p99 us", "half load/s", "p50 us", "p90 us", "p99 us");
  std::vector<config_result> all;
  int run = static_cast<int>(steady::now().time_since_epoch().count() % 1000000);
  for (auto& mode : o.modes)
    for (int n : o.rooms) {
      auto r = run_config(o, mode, n, run);
      std::printf("%-7s %6d | %12.0f %9.0f %9.0f | %12.0f %9.0f %9.0f %9.0f%s\n", mode.c_str(),
                  n, r.saturated_eps, r.saturated.p50, r.saturated.p99, r.half_eps, r.half.p50,
                  r.half.p90, r.half.p99, r.errors ? "  (errors!)" : "");
      std::fflush(stdout);
      all.push_back(r);
    }
  for (auto& r : all)
    std::printf("{\"store\":\"%s\",\"mode\":\"%s\",\"rooms\":%d,\"saturated_eps\":%.0f,"
                "\"saturated_p50_us\":%.0f,\"saturated_p99_us\":%.0f,\"half_eps\":%.0f,"
                "\"half_p50_us\":%.0f,\"half_p99_us\":%.0f,\"errors\":%lld}\n",
                o.store.starts_with("sqlite:") ? "sqlite" : "postgresql", r.mode.c_str(),
                r.rooms, r.saturated_eps, r.saturated.p50, r.saturated.p99, r.half_eps,
                r.half.p50, r.half.p99, static_cast<long long>(r.errors));
  return 0;
}
