#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <vector>

namespace parley::net {

/// The buffers of one gather write and how far the kernel has taken them, for sendmsg(2)
/// called directly.
///
/// Why not asio::async_write with a buffer sequence: Boost 1.81's socket layer caps one
/// sendmsg at 16 buffers unless IOV_MAX is visible where it is compiled (it is not here), so a
/// connection's 50 queued frames went out as 7 system calls of 8 frames — on this VM a
/// loopback sendmsg costs 5–12 µs, more than the frames it carries. With up to IOV_MAX (1024)
/// buffers per call and the write done in place (no completion handler to post), a burst
/// of frames costs one system call.
class gather_cursor {
public:
  void clear() {
    iov_.clear();
    next_ = 0;
  }

  /// Room for `n` buffers in one allocation (a write's buffers are known before they are
  /// added; growing step by step was an allocation per doubling, per write).
  void reserve(size_t n) { iov_.reserve(n); }

  /// Adds a buffer (skipped when empty); it must stay valid until the write completes.
  void add(const void* data, size_t size) {
    if (size > 0)
      iov_.push_back(iovec{const_cast<void*>(data), size});
  }

  /// Whether everything added has been written.
  bool done() const { return next_ == iov_.size(); }

  /// What is left, as sendmsg takes it (at most IOV_MAX buffers at a time).
  msghdr message() {
    msghdr m{};
    m.msg_iov = iov_.data() + next_;
    m.msg_iovlen = std::min<size_t>(iov_.size() - next_, IOV_MAX);
    return m;
  }

  /// Records that the kernel took `n` more bytes (a partial write leaves the rest).
  void advance(size_t n) {
    while (n > 0 && next_ < iov_.size()) {
      auto& v = iov_[next_];
      if (n < v.iov_len) {
        v.iov_base = static_cast<char*>(v.iov_base) + n;
        v.iov_len -= n;
        return;
      }
      n -= v.iov_len;
      ++next_;
    }
  }

  /// Frees the capacity (an idle connection keeps none).
  void release() {
    std::vector<iovec>{}.swap(iov_);
    next_ = 0;
  }

private:
  std::vector<iovec> iov_;
  size_t next_ = 0;  ///< First buffer not completely written.
};

}  // namespace parley::net
