#pragma once

#include <string_view>

namespace parley::net {

/// Whether `s` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
/// JSON text is checked by the JSON parser; MessagePack strings are checked with this.
bool valid_utf8(std::string_view s);

}  // namespace parley::net
