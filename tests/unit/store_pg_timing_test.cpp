#define CAF_SUITE store_pg_timing
#include "caf/test/unit_test.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "storage/pg_store.hpp"
#include "unit/store_pg_backend.hpp"

// Not a ctest test: the measurement behind pg_store's default insert mode. Run by hand
// against a durable throwaway server (scripts/pg-throwaway.sh start --durable DIR):
//   PARLEY_TEST_PG_URL=... parley_storage_pg_tests -n -s store_pg_timing -t insert
// Each write() is one batch of N events over R rooms, one transaction and one commit.

namespace {

using namespace parley::storage;
using clock_type = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

/// Median milliseconds per write() of `batches` batches of `events` events over `rooms`.
double measure(pg_insert_mode mode, int rooms, int events, int batches) {
  testing::pg_schema schema;
  auto opened = pg_store::open(schema.url(), mode);
  CAF_REQUIRE(opened.ok());
  auto& s = *opened.value();
  CAF_REQUIRE(s.migrate().ok());
  for (int r = 0; r < rooms; ++r) {
    room_record rec{.id = testing::tag("r", r), .created_by = "alice", .created_at = 1};
    rec.members.push_back(member{.user = "alice"});
    CAF_REQUIRE(s.create_room(rec).ok());
  }
  std::vector<int64_t> head(rooms, 0);
  std::vector<double> ms;
  for (int b = 0; b < batches + 3; ++b) {  // the first 3 warm the statements up
    std::vector<room_writes> batch(rooms);
    for (int r = 0; r < rooms; ++r)
      batch[r].room = testing::tag("r", r);
    for (int i = 0; i < events; ++i) {
      auto r = i % rooms;
      auto seq = ++head[r];
      batch[r].events.push_back(event{.room = batch[r].room, .seq = seq, .sender = "alice",
                                      .cid = testing::tag("c", seq),
                                      .body = std::string(100, 'x'), .subtype = "text",
                                      .ts = seq});
    }
    auto t0 = clock_type::now();
    auto out = s.write(batch);
    auto t1 = clock_type::now();
    for (const auto& o : out)
      CAF_REQUIRE_EQUAL(o.message, "");
    if (b >= 3)
      ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  return median(ms);
}

}  // namespace

CAF_TEST_DISABLED(insert modes compared) {
  for (int rooms : {1, 16}) {
    for (int events : {1, 16, 64, 256, 1024}) {
      if (events < rooms)
        continue;
      auto batches = events <= 16 ? 200 : events <= 256 ? 60 : 25;
      std::vector<double> multirow, copy;
      for (int rep = 0; rep < 3; ++rep) {  // interleaved, so drift hits both alike
        multirow.push_back(measure(pg_insert_mode::multirow, rooms, events, batches));
        copy.push_back(measure(pg_insert_mode::copy, rooms, events, batches));
      }
      CAF_MESSAGE("rooms " << rooms << " events " << events << ": multirow " << median(multirow)
                           << " ms, copy " << median(copy) << " ms (median per write)");
    }
  }
}
