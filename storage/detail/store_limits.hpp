#pragma once

#include <cstdint>

namespace parley::storage::detail {

/// The largest `history` page; larger requests are clamped (not refused) by every store.
inline constexpr int64_t max_history_limit = 100;

/// The longest conversation list (rooms_of); larger requests are clamped, as smaller than 1.
inline constexpr int64_t max_rooms_limit = 1000;

}  // namespace parley::storage::detail
