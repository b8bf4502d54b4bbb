#include "net/static_site.hpp"

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>

namespace parley::net {

namespace fs = std::filesystem;

namespace {

std::string read_all(const fs::path& p) {
  std::ifstream in{p, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

// FNV-1a over the bytes: an ETag needs to change with the content, not to resist attack.
std::string etag_of(const std::string& body) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : body) {
    h ^= c;
    h *= 1099511628211ull;
  }
  std::ostringstream out;
  out << '"' << std::hex << h << '-' << body.size() << '"';
  return out.str();
}

bool hidden(const fs::path& relative) {
  for (const auto& part : relative)
    if (!part.empty() && part.native()[0] == '.')
      return true;
  return false;
}

}  // namespace

std::string content_type_for(std::string_view name) {
  static const std::pair<std::string_view, std::string_view> types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".webp", "image/webp"},
    {".woff2", "font/woff2"},
    {".txt", "text/plain; charset=utf-8"},
    {".ts", "text/plain; charset=utf-8"},
  };
  for (auto [ext, type] : types)
    if (name.size() >= ext.size() && name.substr(name.size() - ext.size()) == ext)
      return std::string{type};
  return "application/octet-stream";
}

std::shared_ptr<const static_site> static_site::load(const std::string& dir, std::string& error,
                                                     uint64_t max_bytes) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    error = "web directory '" + dir + "' is not a directory";
    return nullptr;
  }
  auto site = std::make_shared<static_site>();
  site->dir_ = dir;
  uint64_t total = 0;
  for (auto it = fs::recursive_directory_iterator{dir, ec}; !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file(ec))
      continue;
    auto relative = fs::relative(it->path(), dir, ec);
    if (ec || hidden(relative))
      continue;
    total += it->file_size(ec);
    if (total > max_bytes) {
      error = "web directory '" + dir + "' holds more than " + std::to_string(max_bytes) +
              " bytes";
      return nullptr;
    }
    file f;
    f.body = read_all(it->path());
    f.content_type = content_type_for(relative.filename().string());
    f.etag = etag_of(f.body);
    site->files_.emplace("/" + relative.generic_string(), std::move(f));
  }
  if (ec) {
    error = "cannot read web directory '" + dir + "': " + ec.message();
    return nullptr;
  }
  return site;
}

const static_site::file* static_site::find(std::string_view path) const {
  std::string key{path};
  if (key.empty() || key.back() == '/')
    key += "index.html";
  auto it = files_.find(key);
  return it == files_.end() ? nullptr : &it->second;
}

}  // namespace parley::net
