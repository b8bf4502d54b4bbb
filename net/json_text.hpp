#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace parley::net {

/// Writes one flat JSON object straight to text, without building a `boost::json::value`
/// first: the text is byte for byte what `boost::json::serialize` gives for an object
/// with the same keys in the same order (the same escapes, integers in decimal), so a
/// client cannot tell which path encoded a frame.
///
/// Why: every live message is encoded once as an event and once as its ack. Through the
/// JSON tree that was ~8 % of the broker's CPU in the 200-room fan-out (perf: building
/// the object, copying the body into it, then serializing it); written straight it is the
/// body's copy and little else. The tree stays for everything else (json_schema.cpp).
///
/// Keys are written without escapes: they are the protocol's names (plain ASCII letters
/// and underscores), never client text.
class json_text {
public:
  explicit json_text(size_t reserve = 0);

  json_text& field(std::string_view key, std::string_view value);
  json_text& field(std::string_view key, const char* value) {
    return field(key, std::string_view{value});
  }
  json_text& field(std::string_view key, const std::string& value) {
    return field(key, std::string_view{value});
  }
  json_text& field(std::string_view key, int64_t value);
  json_text& field(std::string_view key, bool value);
  /// Any other value (a nested object, a double), through boost::json::serialize.
  json_text& field(std::string_view key, const boost::json::value& value);

  /// The object's text; the writer is spent.
  std::string finish() &&;

private:
  void key(std::string_view k);
  void quoted(std::string_view s);

  std::string out_;
};

}  // namespace parley::net
