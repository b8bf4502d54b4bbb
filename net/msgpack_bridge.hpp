#pragma once

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace parley::net {

/// Reads one MessagePack value (the whole input, nothing after it) as a JSON value.
/// nullopt, with `error` set, for malformed input, trailing bytes, non-string map keys,
/// binary/extension types, invalid UTF-8 or nesting deeper than 32.
std::optional<boost::json::value> msgpack_to_json(std::string_view bytes, std::string& error);

/// Packs a JSON value as MessagePack (object -> map, array -> array, integers keep their
/// sign, doubles as float64).
std::string json_to_msgpack(const boost::json::value& v);

}  // namespace parley::net
