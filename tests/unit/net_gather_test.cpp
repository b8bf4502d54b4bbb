#define CAF_SUITE net_gather
#include "caf/test/unit_test.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "net/gather_cursor.hpp"

using namespace parley::net;

namespace {

/// Writes everything `c` holds to `fd` (non-blocking) while draining `peer`, the way a
/// connection does: sendmsg until done, partial writes included. Returns what `peer` got.
std::string write_all(gather_cursor& c, int fd, int peer, int& calls) {
  std::string got;
  char buf[4096];
  while (!c.done()) {
    auto msg = c.message();
    auto n = ::sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    ++calls;
    if (n > 0)
      c.advance(static_cast<size_t>(n));
    else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
      return "sendmsg failed";
    for (ssize_t r; (r = ::recv(peer, buf, sizeof buf, MSG_DONTWAIT)) > 0;)
      got.append(buf, static_cast<size_t>(r));
  }
  for (ssize_t r; (r = ::recv(peer, buf, sizeof buf, MSG_DONTWAIT)) > 0;)
    got.append(buf, static_cast<size_t>(r));
  return got;
}

}  // namespace

CAF_TEST(advance consumes whole buffers and cuts into a partly written one) {
  std::string a = "hello", b = "", c = "world!";
  gather_cursor g;
  g.add(a.data(), a.size());
  g.add(b.data(), b.size());  // empty buffers are skipped
  g.add(c.data(), c.size());
  CAF_CHECK_EQUAL(g.message().msg_iovlen, 2u);
  g.advance(3);
  auto m = g.message();
  CAF_REQUIRE_EQUAL(m.msg_iovlen, 2u);
  CAF_CHECK_EQUAL(std::string(static_cast<char*>(m.msg_iov[0].iov_base), m.msg_iov[0].iov_len),
                  "lo");
  g.advance(2 + 5);
  m = g.message();
  CAF_REQUIRE_EQUAL(m.msg_iovlen, 1u);
  CAF_CHECK_EQUAL(std::string(static_cast<char*>(m.msg_iov[0].iov_base), m.msg_iov[0].iov_len),
                  "!");
  CAF_CHECK(!g.done());
  g.advance(1);
  CAF_CHECK(g.done());
}

CAF_TEST(one call offers at most IOV_MAX buffers and the rest follows) {
  std::vector<std::string> parts;
  for (int i = 0; i < IOV_MAX + 100; ++i)
    parts.push_back(std::to_string(i) + ",");
  gather_cursor g;
  std::string expected;
  for (auto& p : parts) {
    g.add(p.data(), p.size());
    expected += p;
  }
  CAF_CHECK_EQUAL(g.message().msg_iovlen, static_cast<size_t>(IOV_MAX));
  int sv[2];
  CAF_REQUIRE_EQUAL(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  int calls = 0;
  CAF_CHECK_EQUAL(write_all(g, sv[0], sv[1], calls), expected);
  CAF_CHECK_EQUAL(calls, 2);  // 1,124 small buffers: two system calls, not 71 of 16
  ::close(sv[0]);
  ::close(sv[1]);
}

CAF_TEST(partial writes into a full socket resume where the kernel stopped) {
  int sv[2];
  CAF_REQUIRE_EQUAL(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  int small = 4096;
  ::setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  std::vector<std::string> frames;
  std::string expected;
  for (int i = 0; i < 300; ++i) {
    frames.push_back(std::string(static_cast<size_t>(100 + i), static_cast<char>('a' + i % 26)));
    expected += frames.back();
  }
  gather_cursor g;
  for (auto& f : frames)
    g.add(f.data(), f.size());
  int calls = 0;
  auto got = write_all(g, sv[0], sv[1], calls);
  CAF_CHECK_EQUAL(got.size(), expected.size());
  CAF_CHECK(got == expected);
  CAF_CHECK_GREATER(calls, 1);  // the small buffer forced partial writes
  g.release();
  CAF_CHECK(g.done());
  ::close(sv[0]);
  ::close(sv[1]);
}
