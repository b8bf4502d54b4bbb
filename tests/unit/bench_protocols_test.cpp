#define CAF_SUITE bench_protocols
#include "caf/test/unit_test.hpp"

#include <string>
#include <vector>

#include "parley-bench/protocols.hpp"

using parley::bench::make_protocol;
using parley::bench::server_event;
using kind = server_event::kind;

namespace {

/// What one frame meant: its events (bodies copied while they are valid) and the replies.
struct parsed {
  std::vector<kind> kinds;
  std::vector<int64_t> ids;
  std::vector<std::string> bodies;
  std::vector<std::string> out;
};

parsed parse(parley::bench::protocol& p, std::string_view frame) {
  std::vector<server_event> ev;
  parsed r;
  p.parse(frame, ev, r.out);
  for (auto& e : ev) {
    r.kinds.push_back(e.k);
    r.ids.push_back(e.id);
    r.bodies.emplace_back(e.body);
  }
  return r;
}

}  // namespace

CAF_TEST(a parley msg event yields its body wherever the field stands) {
  auto p = make_protocol("parley");
  auto r = parse(*p, R"({"t":"msg","room":"r","seq":7,"from":"u","body":"3,41,123456789",)"
                     R"("kind":"text","ts":1,"cid":"u-41"})");
  CAF_REQUIRE_EQUAL(r.kinds.size(), 1u);
  CAF_CHECK(r.kinds[0] == kind::delivery);
  CAF_CHECK_EQUAL(r.bodies[0], "3,41,123456789");
  // The same body when it is the last field, and none when there is no body at all.
  r = parse(*p, R"({"t":"msg","room":"r","seq":8,"body":"1,2,3"})");
  CAF_CHECK_EQUAL(r.bodies.at(0), "1,2,3");
  r = parse(*p, R"({"t":"msg","room":"r","seq":9})");
  CAF_CHECK_EQUAL(r.bodies.at(0), "");
}

CAF_TEST(a parley ok is the ack of its request and hello makes the session ready) {
  auto p = make_protocol("parley");
  auto r = parse(*p, R"({"t":"ok","id":42,"seq":3})");
  CAF_REQUIRE_EQUAL(r.kinds.size(), 1u);
  CAF_CHECK(r.kinds[0] == kind::ack);
  CAF_CHECK_EQUAL(r.ids[0], 42);
  r = parse(*p, R"({"t":"hello","user":"u"})");
  CAF_CHECK(r.kinds.at(0) == kind::ready);
}

CAF_TEST(socket io events carry the body and acks their id) {
  auto p = make_protocol("socketio");
  auto r = parse(*p, R"(42["msg",{"room":"r","body":"5,6,7"}])");
  CAF_CHECK(r.kinds.at(0) == kind::delivery);
  CAF_CHECK_EQUAL(r.bodies.at(0), "5,6,7");
  r = parse(*p, "4317[]");
  CAF_CHECK(r.kinds.at(0) == kind::ack);
  CAF_CHECK_EQUAL(r.ids.at(0), 17);
  r = parse(*p, "2");
  CAF_CHECK_EQUAL(r.out.at(0), "3");  // an engine.io ping is answered with a pong
}

CAF_TEST(nats messages split across frames and packed into one are all delivered) {
  auto p = make_protocol("nats");
  auto r = parse(*p, "INFO {}\r\n");
  CAF_CHECK_EQUAL(r.out.size(), 1u);  // CONNECT and a PING
  r = parse(*p, "PONG\r\n");
  CAF_CHECK(r.kinds.at(0) == kind::ready);
  // A header in one frame, its payload in the next.
  r = parse(*p, "MSG room.a 1 8\r\n");
  CAF_CHECK(r.kinds.empty());
  r = parse(*p, "1,2,3456\r\n");
  CAF_REQUIRE_EQUAL(r.kinds.size(), 1u);
  CAF_CHECK(r.kinds[0] == kind::delivery);
  CAF_CHECK_EQUAL(r.bodies[0], "1,2,3456");
  // Two messages and half of a third in one frame; the rest of the third with a ping.
  r = parse(*p, "MSG room.a 1 5\r\n1,3,4\r\nMSG room.a 1 5\r\n1,4,5\r\nMSG room.a 1 5\r\n1,5");
  CAF_REQUIRE_EQUAL(r.bodies.size(), 2u);
  CAF_CHECK_EQUAL(r.bodies[0], "1,3,4");
  CAF_CHECK_EQUAL(r.bodies[1], "1,4,5");
  r = parse(*p, ",6\r\nPING\r\n");
  CAF_CHECK_EQUAL(r.bodies.at(0), "1,5,6");
  CAF_CHECK_EQUAL(r.out.at(0), "PONG\r\n");
}

CAF_TEST(nats pongs acknowledge the publishes in the order they were sent) {
  auto p = make_protocol("nats");
  parse(*p, "PONG\r\n");  // connected
  p->publish("a", "", "x", 5);
  p->publish("a", "", "y", 6);
  auto r = parse(*p, "PONG\r\nPONG\r\n");
  CAF_REQUIRE_EQUAL(r.ids.size(), 2u);
  CAF_CHECK(r.kinds[0] == kind::ack && r.kinds[1] == kind::ack);
  CAF_CHECK_EQUAL(r.ids[0], 5);
  CAF_CHECK_EQUAL(r.ids[1], 6);
}

CAF_TEST(a nats body stays readable until the next frame is parsed) {
  auto p = make_protocol("nats");
  std::vector<server_event> ev;
  std::vector<std::string> out;
  p->parse("MSG room.a 1 11\r\n9,99,999999\r\nMSG room.a 1 4\r\n", ev, out);
  CAF_REQUIRE_EQUAL(ev.size(), 1u);
  // The parser keeps what it consumed until its next call: the view still reads the body.
  CAF_CHECK_EQUAL(ev[0].body, "9,99,999999");
  std::vector<server_event> next;
  p->parse("7,77\r\n", next, out);
  CAF_CHECK_EQUAL(next.at(0).body, "7,77");
}

CAF_TEST(a nats error keeps its text for the caller) {
  auto p = make_protocol("nats");
  std::vector<server_event> ev;
  std::vector<std::string> out;
  // The line is consumed in this call; its view must still read it afterwards.
  p->parse("-ERR 'Authorization Violation'\r\nMSG room.a 1 2\r\n", ev, out);
  CAF_REQUIRE_EQUAL(ev.size(), 1u);
  CAF_CHECK(ev[0].k == kind::error);
  CAF_CHECK_EQUAL(ev[0].body, "-ERR 'Authorization Violation'");
}
