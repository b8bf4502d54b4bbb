#include "send_probe.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <thread>
#include <vector>

namespace parley::bench {
namespace {

/// Closes every descriptor it holds when the probe returns, whichever way.
struct descriptors {
  std::vector<int> fds;
  ~descriptors() {
    for (int fd : fds)
      ::close(fd);
  }
  int add(int fd) {
    if (fd >= 0)
      fds.push_back(fd);
    return fd;
  }
};

std::string failed(const char* what) {
  return std::string{what} + ": " + std::strerror(errno);
}

double thread_cpu_s() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

/// Reads every connection until `stop`: the other end of each send, as a client would.
void read_all(const std::vector<int>& readers, int cpu, const std::atomic<bool>& stop) {
  if (cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    ::pthread_setaffinity_np(::pthread_self(), sizeof set, &set);
  }
  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0)
    return;
  for (int fd : readers) {
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.fd = fd;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
  }
  std::vector<epoll_event> ready(256);
  std::vector<char> buf(1 << 16);
  while (!stop.load(std::memory_order_relaxed)) {
    int n = ::epoll_wait(ep, ready.data(), static_cast<int>(ready.size()), 50);
    for (int i = 0; i < n; ++i)
      while (::recv(ready[i].data.fd, buf.data(), buf.size(), MSG_DONTWAIT) > 0) {
      }
  }
  ::close(ep);
}

}  // namespace

send_probe_result run_send_probe(const send_probe_options& o) {
  send_probe_result r;
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
  if (o.connections < 1 || static_cast<rlim_t>(o.connections) * 2 + 16 > lim.rlim_cur) {
    r.error = "--connections " + std::to_string(o.connections) + " needs more descriptors than the limit, " +
              std::to_string(lim.rlim_cur);
    return r;
  }
  descriptors fds;
  int listener = fds.add(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener, 1024) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    r.error = failed("listen on 127.0.0.1");
    return r;
  }
  std::vector<int> senders, readers;
  for (int i = 0; i < o.connections; ++i) {
    int c = fds.add(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (c < 0 || ::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      r.error = failed("connect");
      return r;
    }
    int s = fds.add(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
    if (s < 0) {
      r.error = failed("accept");
      return r;
    }
    int one = 1;
    ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    senders.push_back(s);
    readers.push_back(c);
  }
  std::vector<char> frame(std::max<size_t>(1, o.bytes), 'x');
  // Every frame its own iovec, as a server's gather write points at each frame's buffer.
  std::vector<iovec> gather(static_cast<size_t>(std::max(1, o.frames)), iovec{frame.data(), frame.size()});
  msghdr msg{};
  msg.msg_iov = gather.data();
  msg.msg_iovlen = gather.size();
  std::atomic<bool> stop{false};
  std::thread reader{[&] { read_all(readers, o.receiver_cpu, stop); }};
  using clock = std::chrono::steady_clock;
  auto t0 = clock::now();
  auto end = t0 + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(o.seconds));
  double cpu0 = thread_cpu_s();
  size_t next = 0;
  while (r.error.empty()) {
    for (int i = 0; i < 64; ++i) {  // the clock read once per 64 sends
      auto sent = ::sendmsg(senders[next], &msg, MSG_NOSIGNAL);
      if (sent < 0 && errno != EINTR) {
        r.error = failed("send");
        break;
      }
      r.bytes_sent += std::max<ssize_t>(sent, 0);
      ++r.sends;
      next = next + 1 == senders.size() ? 0 : next + 1;
    }
    if (clock::now() >= end)
      break;
  }
  r.sender_cpu_s = thread_cpu_s() - cpu0;
  r.seconds = std::chrono::duration<double>(clock::now() - t0).count();
  stop = true;
  reader.join();
  return r;
}

}  // namespace parley::bench
