#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace parley::net {

/// The static files `parley serve` answers at `/` (the demo chat page, http.web_dir). They
/// are read once at start into memory: the site is a few small files, and serving them
/// must never block an I/O thread on the disk. Immutable after load, so every I/O thread
/// reads it without locks.
class static_site {
public:
  struct file {
    std::string body;
    std::string content_type;
    std::string etag;  ///< Quoted; changes when the content does (a hash of the bytes).
  };

  /// Loads every regular file under `dir` (recursively; dot-files skipped). Fails (with a
  /// message in `error`) when `dir` is not a directory or holds more than `max_bytes`.
  static std::shared_ptr<const static_site> load(const std::string& dir, std::string& error,
                                                 uint64_t max_bytes = 32u << 20);

  /// The file for a request path ("/" and any path ending in "/" mean its index.html), or
  /// nullptr. Paths are looked up exactly; nothing outside the loaded set can be named.
  const file* find(std::string_view path) const;

  size_t size() const { return files_.size(); }
  const std::string& dir() const { return dir_; }

private:
  std::string dir_;
  std::map<std::string, file, std::less<>> files_;  ///< Key: "/relative/path".
};

/// The Content-Type for a file name, by extension (application/octet-stream if unknown).
std::string content_type_for(std::string_view name);

}  // namespace parley::net
