#include <string_view>

#include "storage/pg_store.hpp"
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
  // The URL goes to libpq as it is (query parameters such as ?host=/socket/dir included);
  // the store connects once here, so an unreachable server is reported up front.
  if (u.starts_with("postgresql://") || u.starts_with("postgres://")) {
    auto opened = pg_store::open(url);
    if (!opened)
      return opened.err();
    return std::unique_ptr<store>{std::move(opened).value()};
  }
  return error{errc::internal, "unknown store URL '" + url
                                 + "': expected sqlite:PATH or postgresql://..."};
}

}  // namespace parley::storage
