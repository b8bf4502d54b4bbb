#define CAF_SUITE actor_cid_table
#include <caf/test/unit_test.hpp>

#include <deque>
#include <map>
#include <random>
#include <string>

#include "actors/cid_table.hpp"

using parley::actors::cid_table;
using parley::actors::stored_send;

namespace {

/// What the table must behave like: an ordered map and a queue of committed keys.
struct model {
  struct state {
    cid_table::handle h;
    bool in_flight;
    int64_t seq;
  };
  std::map<std::pair<std::string, std::string>, state> entries;
  std::deque<std::pair<std::string, std::string>> order;
};

}  // namespace

CAF_TEST(a key is new once then known until it is erased) {
  cid_table t;
  auto [a, fresh_a] = t.find_or_add("alice", "c1");
  CAF_CHECK(fresh_a);
  CAF_CHECK(t[a].in_flight);
  auto [again, fresh_again] = t.find_or_add("alice", "c1");
  CAF_CHECK(!fresh_again);
  CAF_CHECK_EQUAL(again, a);
  // The sender is part of the key, and where it ends is too.
  CAF_CHECK(t.find_or_add("bob", "c1").second);
  CAF_CHECK(t.find_or_add("alic", "ec1").second);
  CAF_CHECK(t.find_or_add("alice", "c1x").second);
  CAF_CHECK_EQUAL(t.size(), 4u);
  CAF_CHECK_EQUAL(t.key(a), std::string_view("alice\0c1", 8));
  t.erase(a);
  CAF_CHECK_EQUAL(t.size(), 3u);
  CAF_CHECK(t.find_or_add("alice", "c1").second);
}

CAF_TEST(committed entries answer with where they went and the oldest go beyond the limit) {
  cid_table t;
  std::vector<cid_table::handle> hs;
  for (int i = 0; i < 5; ++i)
    hs.push_back(t.find_or_add("u", "c" + std::to_string(i)).first);
  for (int i = 0; i < 5; ++i)
    t.commit(hs[i], stored_send{i + 1, 100 + i}, 3);
  CAF_CHECK_EQUAL(t.committed(), 3u);
  CAF_CHECK_EQUAL(t.size(), 3u);
  // c0 and c1 were forgotten: new again.
  CAF_CHECK(t.find_or_add("u", "c0").second);
  CAF_CHECK(t.find_or_add("u", "c1").second);
  auto [h4, fresh4] = t.find_or_add("u", "c4");
  CAF_REQUIRE(!fresh4);
  CAF_CHECK(!t[h4].in_flight);
  CAF_CHECK_EQUAL(t[h4].sent.seq, 5);
  CAF_CHECK_EQUAL(t[h4].sent.ts, 104);
}

CAF_TEST(a limit of zero keeps nothing committed) {
  cid_table t;
  auto h = t.find_or_add("u", "c").first;
  t.commit(h, stored_send{1, 1}, 0);
  CAF_CHECK_EQUAL(t.size(), 0u);
  CAF_CHECK(t.find_or_add("u", "c").second);
}

CAF_TEST(an entry in flight keeps its handle while the table grows around it) {
  cid_table t;
  auto held = t.find_or_add("sender", "held").first;
  for (int i = 0; i < 20'000; ++i) {
    auto h = t.find_or_add("sender", "other-" + std::to_string(i)).first;
    t.commit(h, stored_send{i + 1, 0}, 10'000);
  }
  CAF_CHECK_EQUAL(t.size(), 10'001u);
  CAF_CHECK(t[held].in_flight);
  CAF_CHECK_EQUAL(t.key(held), std::string_view("sender\0held", 11));
  auto [found, fresh] = t.find_or_add("sender", "held");
  CAF_CHECK(!fresh);
  CAF_CHECK_EQUAL(found, held);
  t.commit(held, stored_send{7, 7}, 10'000);
  CAF_CHECK_EQUAL(t.size(), 10'000u);
  CAF_CHECK(!t.find_or_add("sender", "held").second);
}

CAF_TEST(keys whose hashes are equal are still told apart) {
  cid_table t{[](std::string_view, std::string_view) -> uint64_t { return 42; }};
  auto a = t.find_or_add("alice", "c1").first;
  CAF_CHECK(t.find_or_add("alice", "c2").second);
  CAF_CHECK(t.find_or_add("alicf", "c1").second);
  CAF_CHECK(t.find_or_add("alice", "d1").second);
  CAF_CHECK(t.find_or_add("alice", "c1x").second);
  auto [again, fresh] = t.find_or_add("alice", "c1");
  CAF_CHECK(!fresh);
  CAF_CHECK_EQUAL(again, a);
  CAF_CHECK_EQUAL(t.size(), 5u);
}

// Random adds, commits and erases over few keys against the model: every eviction and
// failed write moves entries back in the index (wrapping round its end), so a probe that
// stopped short or a lost entry shows up as a key that is new when it should be known.
CAF_TEST(random operations agree with a model) {
  std::mt19937 rng(12345);
  // The low bits of the hash pick a key's place. A hash whose low 32 bits differ only in the
  // lowest two gives every key a home among the index's last four places: long runs that
  // wrap round its end, told apart by the full hash.
  auto crowded = [](std::string_view sender, std::string_view cid) -> uint64_t {
    return cid_table::seeded_hash(sender, cid) | 0xffff'fff0u | 0xcu;
  };
  for (size_t keep : {0u, 1u, 7u, 50u})
    for (auto hash : {cid_table::hash_function{cid_table::seeded_hash},
                      cid_table::hash_function{crowded}}) {
      cid_table t{hash};
      model m;
      for (int step = 0; step < 40'000; ++step) {
        auto key = std::make_pair("u" + std::to_string(rng() % 5),
                                  "c" + std::to_string(rng() % 120));
        auto [h, fresh] = t.find_or_add(key.first, key.second);
        auto it = m.entries.find(key);
        CAF_REQUIRE_EQUAL(fresh, it == m.entries.end());
        if (!fresh) {
          CAF_REQUIRE_EQUAL(h, it->second.h);
          CAF_REQUIRE_EQUAL(t[h].in_flight, it->second.in_flight);
          if (!it->second.in_flight)
            CAF_REQUIRE_EQUAL(t[h].sent.seq, it->second.seq);
        } else {
          it = m.entries.emplace(key, model::state{h, true, 0}).first;
        }
        if (!it->second.in_flight)
          continue;
        switch (rng() % 3) {
          case 0:  // still in flight
            break;
          case 1:  // its write failed
            t.erase(h);
            m.entries.erase(it);
            break;
          default:  // committed
            t.commit(h, stored_send{step, step}, keep);
            it->second.in_flight = false;
            it->second.seq = step;
            m.order.push_back(key);
            while (m.order.size() > keep) {
              m.entries.erase(m.order.front());
              m.order.pop_front();
            }
        }
        CAF_REQUIRE_EQUAL(t.size(), m.entries.size());
        CAF_REQUIRE_EQUAL(t.committed(), m.order.size());
      }
    }
}
