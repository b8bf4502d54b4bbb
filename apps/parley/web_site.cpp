#include "web_site.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>

namespace parley::app {

namespace fs = std::filesystem;

namespace {

std::string bundled_web_dir() {
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec)
    return {};
  auto bin = exe.parent_path();
  for (const auto& candidate : {bin / ".." / "web", bin / ".." / "share" / "parley" / "web"})
    if (fs::is_regular_file(candidate / "index.html", ec))
      return fs::weakly_canonical(candidate, ec).string();
  return {};
}

}  // namespace

std::shared_ptr<const net::static_site> load_web_site(const std::string& web_dir,
                                                      std::string& error) {
  error.clear();
  if (web_dir == "off")
    return nullptr;
  auto dir = web_dir.empty() ? bundled_web_dir() : web_dir;
  if (dir.empty()) {
    spdlog::info("no web directory next to the binary: nothing served at /");
    return nullptr;
  }
  auto site = net::static_site::load(dir, error);
  if (site)
    spdlog::info("serving {} static files from {} at /", site->size(), dir);
  return site;
}

}  // namespace parley::app
