#include "storage/error.hpp"

namespace parley::storage {

const char* to_string(errc code) {
  switch (code) {
    case errc::ok: return "ok";
    case errc::not_found: return "not_found";
    case errc::conflict: return "conflict";
    case errc::unavailable: return "unavailable";
    case errc::in_doubt: return "in_doubt";
    case errc::internal: return "internal";
  }
  return "internal";
}

}  // namespace parley::storage
