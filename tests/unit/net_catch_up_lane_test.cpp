#define CAF_SUITE net_catch_up_lane
#include "caf/test/unit_test.hpp"

#include <string>
#include <vector>

#include "net/catch_up_lane.hpp"

using namespace parley::net;

namespace {

/// Waiters that record the order in which they got a slot.
struct lane_fixture {
  catch_up_lane lane{2};
  std::vector<std::string> served;

  catch_up_lane::waiter waiter(std::string name, bool wants = true) {
    return [this, name, wants] {
      if (wants)
        served.push_back(name);
      return wants;
    };
  }
};

}  // namespace

CAF_TEST_FIXTURE_SCOPE(catch_up_lane_tests, lane_fixture)

CAF_TEST(slots are taken up to the capacity and handed to waiters in order) {
  CAF_CHECK(lane.try_take());
  CAF_CHECK(lane.try_take());
  CAF_CHECK(!lane.try_take());  // full
  lane.wait(waiter("a"));
  lane.wait(waiter("b"));
  CAF_CHECK_EQUAL(lane.waiting(), 2u);
  lane.give_back();  // a's now: the slot passes on, it is never free
  CAF_CHECK_EQUAL(served, (std::vector<std::string>{"a"}));
  CAF_CHECK_EQUAL(lane.in_use(), 2u);
  CAF_CHECK(!lane.try_take());  // b waits first, whoever asks now
  lane.give_back();
  lane.give_back();
  CAF_CHECK_EQUAL(served, (std::vector<std::string>{"a", "b"}));
  CAF_CHECK_EQUAL(lane.in_use(), 1u);
  CAF_CHECK(lane.try_take());
}

CAF_TEST(a waiter that no longer wants its slot passes it to the next) {
  CAF_CHECK(lane.try_take());
  CAF_CHECK(lane.try_take());
  lane.wait(waiter("closed", false));
  lane.wait(waiter("c"));
  lane.give_back();
  CAF_CHECK_EQUAL(served, (std::vector<std::string>{"c"}));
  CAF_CHECK_EQUAL(lane.waiting(), 0u);
  CAF_CHECK_EQUAL(lane.in_use(), 2u);
  lane.wait(waiter("closed too", false));
  lane.give_back();  // nobody takes it: it is free
  CAF_CHECK_EQUAL(lane.in_use(), 1u);
  CAF_CHECK(lane.try_take());
}

CAF_TEST(capacity zero bounds nothing) {
  catch_up_lane any{0};
  for (int i = 0; i < 1000; ++i)
    CAF_CHECK(any.try_take());
}

CAF_TEST_FIXTURE_SCOPE_END()
