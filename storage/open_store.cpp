#include <string_view>

#include "storage/sqlite_store.hpp"
#include "storage/store.hpp"

namespace parley::storage {

result<std::unique_ptr<store>> open_store(const std::string& url) {
  std::string_view u{url};
  if (u.starts_with("sqlite:")) {
    auto opened = sqlite_store::open(std::string{u.substr(7)});
    if (!opened)
      return opened.err();
    return std::unique_ptr<store>{std::move(opened).value()};
  }
  if (u.starts_with("postgresql://") || u.starts_with("postgres://"))
    return error{errc::internal, "PostgreSQL store not built yet"};
  return error{errc::internal, "unknown store URL '" + url
                                 + "': expected sqlite:PATH or postgresql://..."};
}

}  // namespace parley::storage
