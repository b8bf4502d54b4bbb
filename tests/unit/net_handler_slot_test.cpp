#define CAF_SUITE net_handler_slot
#include "caf/test/unit_test.hpp"

#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <memory>

#include "net/handler_slot.hpp"

using namespace parley::net;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

CAF_TEST(the slot serves one operation at a time and the heap the rest) {
  handler_slot<64> slot;
  void* a = slot.allocate(48);
  CAF_CHECK(slot.taken());
  void* b = slot.allocate(48);  // taken: from the heap
  CAF_CHECK_NOT_EQUAL(a, b);
  slot.deallocate(b);
  CAF_CHECK(slot.taken());
  slot.deallocate(a);
  CAF_CHECK(!slot.taken());
  void* big = slot.allocate(65);  // too big: from the heap, the slot stays free
  CAF_CHECK(!slot.taken());
  slot.deallocate(big);
  CAF_CHECK_EQUAL(slot.allocate(64), a);  // free again: the same storage
  slot.deallocate(a);
}

namespace {

/// A connected pair of loopback TCP sockets.
struct socket_pair {
  asio::io_context io;
  tcp::socket left{io};
  tcp::socket right{io};
  socket_pair() {
    tcp::acceptor acc{io, tcp::endpoint{asio::ip::make_address("127.0.0.1"), 0}};
    left.connect(acc.local_endpoint());
    acc.accept(right);
  }
};

/// Stands in for a connection: a read wait whose handler holds one shared_ptr to it, and
/// which waits once more after the first wake-up.
struct owner : std::enable_shared_from_this<owner> {
  explicit owner(tcp::socket& s) : socket(s) {}
  tcp::socket& socket;
  handler_slot<socket_wait_op_size> slot;
  int wakes = 0;
  bool slot_free_in_handler = false;

  void wait() {
    socket.async_wait(tcp::socket::wait_read,
                      asio::bind_allocator(slot.allocator(),
                                           [self = shared_from_this()](boost::system::error_code ec) {
                                             self->slot_free_in_handler = !self->slot.taken();
                                             if (++self->wakes == 1 && !ec)
                                               self->wait();
                                           }));
  }
};

}  // namespace

CAF_TEST(a socket read wait lives in the slot and gives it back before its handler runs) {
  socket_pair p;
  auto o = std::make_shared<owner>(p.right);
  o->wait();
  // The operation (a handler of one shared_ptr, like ws_connection's) fits the slot: if a
  // Boost upgrade grows it past socket_wait_op_size, this fails instead of every idle
  // connection quietly holding a heap block again.
  CAF_CHECK(o->slot.taken());
  asio::write(p.left, asio::buffer("x", 1));
  p.io.run_one();
  CAF_CHECK_EQUAL(o->wakes, 1);
  CAF_CHECK(o->slot_free_in_handler);
  CAF_CHECK(o->slot.taken());  // the second wait took it again
  p.right.close();             // cancels the second wait: its memory comes back too
  p.io.restart();
  p.io.run();
  CAF_CHECK_EQUAL(o->wakes, 2);
  CAF_CHECK(!o->slot.taken());
}
