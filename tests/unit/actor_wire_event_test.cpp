#define CAF_SUITE actor_wire_event
#include "caf/test/unit_test.hpp"

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include "actors/wire_event.hpp"

using namespace parley::actors;

namespace {

std::atomic<int> encodes{0};
std::atomic<bool> fail_next{false};

std::string counting_encoder(const event_payload&, encoding enc) {
  encodes.fetch_add(1);
  if (fail_next.exchange(false))
    throw std::runtime_error("encoder failed");
  // Slow enough that the threads below overlap inside the encode.
  std::this_thread::sleep_for(std::chrono::milliseconds{2});
  return enc == encoding::json ? "json" : "msgpack";
}

event_ptr some_event() {
  return make_event(read_event{"r1", "alice", 7});
}

}  // namespace

CAF_TEST(each encoding is made once and shared by every caller) {
  encodes = 0;
  auto ev = some_event();
  CAF_CHECK_EQUAL(ev->encoded(encoding::json, counting_encoder), "json");
  CAF_CHECK_EQUAL(ev->encoded(encoding::json, counting_encoder), "json");
  CAF_CHECK_EQUAL(&ev->encoded(encoding::json, counting_encoder),
                  &ev->encoded(encoding::json, counting_encoder));
  CAF_CHECK_EQUAL(ev->encoded(encoding::msgpack, counting_encoder), "msgpack");
  CAF_CHECK_EQUAL(encodes.load(), 2);
}

CAF_TEST(threads asking at once get one encode between them) {
  encodes = 0;
  auto ev = some_event();
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  std::vector<const std::string*> got(8);
  for (size_t t = 0; t < got.size(); ++t)
    threads.emplace_back([&, t] {
      while (!go.load())
        std::this_thread::yield();
      got[t] = &ev->encoded(encoding::json, counting_encoder);
    });
  go = true;
  for (auto& t : threads)
    t.join();
  CAF_CHECK_EQUAL(encodes.load(), 1);
  for (auto* p : got) {
    CAF_REQUIRE(p != nullptr);
    CAF_CHECK_EQUAL(*p, "json");
    CAF_CHECK_EQUAL(p, got[0]);
  }
}

CAF_TEST(an encoder that throws leaves the encoding to the next caller) {
  encodes = 0;
  auto ev = some_event();
  fail_next = true;
  bool threw = false;
  try {
    ev->encoded(encoding::json, counting_encoder);
  } catch (const std::runtime_error&) {
    threw = true;
  }
  CAF_CHECK(threw);
  CAF_CHECK_EQUAL(ev->encoded(encoding::json, counting_encoder), "json");
  CAF_CHECK_EQUAL(encodes.load(), 2);
}
