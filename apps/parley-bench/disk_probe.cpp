#include "disk_probe.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

namespace parley::bench {
namespace {

constexpr size_t file_bytes = 4 << 20;

std::string failed(const char* what, const std::string& path) {
  return std::string{what} + " " + path + ": " + std::strerror(errno);
}

bool write_all(int fd, const char* data, size_t n, off_t at) {
  while (n > 0) {
    auto w = ::pwrite(fd, data, n, at);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return false;
    data += w;
    n -= static_cast<size_t>(w);
    at += w;
  }
  return true;
}

}  // namespace

disk_probe_result run_disk_probe(const disk_probe_options& o) {
  disk_probe_result r;
  auto path = o.dir + "/parley-bench-fsync.probe";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    r.error = failed("open", path);
    return r;
  }
  auto block = std::max<size_t>(512, std::min(o.write_bytes, file_bytes));
  // Not zeros: a file system that compresses or dedups must still write.
  std::vector<char> data(file_bytes);
  for (size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<char>((i * 2654435761u) >> 13);
  if (!write_all(fd, data.data(), data.size(), 0) || ::fsync(fd) != 0) {
    r.error = failed("preparing", path);
  } else {
    size_t slots = file_bytes / block;
    for (int i = 0; i < o.count; ++i) {
      auto at = static_cast<off_t>((static_cast<size_t>(i) % slots) * block);
      data[at] ^= 1;  // a different block content each time around
      if (!write_all(fd, data.data() + at, block, at)) {
        r.error = failed("pwrite", path);
        break;
      }
      auto t0 = std::chrono::steady_clock::now();
      if (::fdatasync(fd) != 0) {
        r.error = failed("fdatasync", path);
        break;
      }
      auto took = std::chrono::steady_clock::now() - t0;
      r.fdatasync_us.record(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(took).count()));
      if (o.interval.count() > 0)
        std::this_thread::sleep_for(o.interval);
    }
  }
  ::close(fd);
  ::unlink(path.c_str());
  return r;
}

}  // namespace parley::bench
