#pragma once

#include <cstdint>

namespace parley::storage::detail {

/// The largest `history` page; larger requests are clamped (not refused) by every store.
inline constexpr int64_t max_history_limit = 100;

}  // namespace parley::storage::detail
