#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "storage/types.hpp"

namespace parley::storage::detail {

/// PostgreSQL text cannot hold a NUL byte, and libpq passes text parameters as C strings, so
/// a NUL would silently cut a value short. SQLite stores such text; the PostgreSQL store
/// refuses to write it (`internal`, for that room or room record only) and treats keys that
/// contain one as absent on reads: such a row cannot exist in PostgreSQL.
bool has_nul(std::string_view text);

/// The array literal of `values` for a text[] parameter: {"a","b\"c"}, every element
/// quoted, so any text but one with a NUL byte (see has_nul) comes through as it is.
std::string text_array(std::span<const std::string_view> values);

/// Why a room's writes cannot be stored in PostgreSQL, or nullopt when they can.
std::optional<std::string> unstorable(const room_writes& w);

/// Why a room record cannot be stored in PostgreSQL, or nullopt when it can.
std::optional<std::string> unstorable(const room_record& r);

}  // namespace parley::storage::detail
