#pragma once

#include <caf/error.hpp>

#include <string>

#include "actors/protocol.hpp"
#include "storage/error.hpp"

namespace parley::actors {

/// Protocol errors travel between actors as caf::error values of this category, so that a
/// request's error handler gets them like any CAF failure (a dead room, a timeout).
caf::error make_error(error_code code, std::string message);

/// Any caf::error as the protocol error a client sees: ours keep their code and message;
/// a timeout or a dead receiver becomes `unavailable` (retryable); the rest `internal`.
error_info to_error_info(const caf::error& err);

/// A storage failure as the protocol error a client sees.
error_code to_error_code(storage::errc code);

/// Shorthand for replies built from a storage error.
caf::error make_error(const storage::error& err);

}  // namespace parley::actors
