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
  /// Where `extra` more bytes of text may be written (out_ grown if need be).
  ///
  /// The text is written through a pointer into out_, which is kept longer than the text
  /// (n_ is the text's length): a field is a few plain stores, not a string append (a size
  /// check, a call, a terminator) per piece. callgrind, 200-room fan-out: the event's and
  /// the ack's text took ~330 instructions per string field through appends.
  char* room(size_t extra) {
    return out_.size() - n_ >= extra ? out_.data() + n_ : grow(extra);
  }
  char* grow(size_t extra);
  void key(std::string_view k);
  void quoted(std::string_view s);
  void raw(std::string_view text);

  std::string out_;  ///< The text so far, then spare bytes.
  size_t n_ = 0;     ///< The text's length.
};

}  // namespace parley::net
