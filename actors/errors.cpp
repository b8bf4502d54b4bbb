#include "actors/errors.hpp"

#include <caf/atom.hpp>
#include <caf/message.hpp>
#include <caf/sec.hpp>

namespace parley::actors {
namespace {

constexpr caf::atom_value category = caf::atom("parley");

}  // namespace

caf::error make_error(error_code code, std::string message) {
  return caf::error{static_cast<uint8_t>(code), category,
                    caf::make_message(std::move(message))};
}

caf::error make_error(const storage::error& err) {
  return make_error(to_error_code(err.code), err.message);
}

error_info to_error_info(const caf::error& err) {
  if (err.category() == category) {
    error_info info{static_cast<error_code>(err.code()), {}};
    const auto& ctx = err.context();
    if (ctx.size() == 1 && ctx.match_element<std::string>(0))
      info.message = ctx.get_as<std::string>(0);
    return info;
  }
  if (err.category() == caf::atom("system")) {
    auto sec = static_cast<caf::sec>(err.code());
    if (sec == caf::sec::request_timeout)
      return {error_code::unavailable, "timed out; retry"};
    if (sec == caf::sec::request_receiver_down)
      return {error_code::unavailable, "the room is restarting; retry"};
  }
  return {error_code::internal, "internal error"};
}

error_code to_error_code(storage::errc code) {
  switch (code) {
    case storage::errc::ok: return error_code::internal;
    case storage::errc::not_found: return error_code::not_found;
    case storage::errc::conflict: return error_code::conflict;
    case storage::errc::unavailable:
    case storage::errc::in_doubt: return error_code::unavailable;
    case storage::errc::internal: return error_code::internal;
  }
  return error_code::internal;
}

}  // namespace parley::actors
