#include "net/msgpack_bridge.hpp"

#include <boost/json.hpp>
#include <msgpack.hpp>

#include <cmath>

#include "net/utf8.hpp"

namespace parley::net {
namespace json = boost::json;

namespace {

constexpr size_t max_depth = 32;

bool convert(const msgpack::object& in, json::value& out, size_t depth, std::string& error) {
  if (depth > max_depth) {
    error = "nested too deeply";
    return false;
  }
  switch (in.type) {
    case msgpack::type::NIL:
      out = nullptr;
      return true;
    case msgpack::type::BOOLEAN:
      out = in.via.boolean;
      return true;
    case msgpack::type::POSITIVE_INTEGER:
      if (in.via.u64 <= uint64_t(INT64_MAX))
        out = static_cast<int64_t>(in.via.u64);
      else
        out = in.via.u64;
      return true;
    case msgpack::type::NEGATIVE_INTEGER:
      out = in.via.i64;
      return true;
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
      if (!std::isfinite(in.via.f64)) {  // JSON has no NaN or Infinity
        error = "numbers must be finite";
        return false;
      }
      out = in.via.f64;
      return true;
    case msgpack::type::STR: {
      std::string_view s{in.via.str.ptr, in.via.str.size};
      if (!valid_utf8(s)) {
        error = "strings must be UTF-8";
        return false;
      }
      out = json::string{s};
      return true;
    }
    case msgpack::type::ARRAY: {
      json::array a;
      a.reserve(in.via.array.size);
      for (uint32_t i = 0; i < in.via.array.size; ++i) {
        json::value item;
        if (!convert(in.via.array.ptr[i], item, depth + 1, error))
          return false;
        a.push_back(std::move(item));
      }
      out = std::move(a);
      return true;
    }
    case msgpack::type::MAP: {
      json::object o;
      o.reserve(in.via.map.size);
      for (uint32_t i = 0; i < in.via.map.size; ++i) {
        auto& kv = in.via.map.ptr[i];
        if (kv.key.type != msgpack::type::STR) {
          error = "map keys must be strings";
          return false;
        }
        std::string_view key{kv.key.via.str.ptr, kv.key.via.str.size};
        if (!valid_utf8(key)) {
          error = "strings must be UTF-8";
          return false;
        }
        json::value item;
        if (!convert(kv.val, item, depth + 1, error))
          return false;
        o[key] = std::move(item);
      }
      out = std::move(o);
      return true;
    }
    case msgpack::type::BIN:
    case msgpack::type::EXT:
      error = "binary and extension types are not part of the protocol";
      return false;
  }
  error = "unsupported MessagePack type";
  return false;
}

void pack(msgpack::packer<msgpack::sbuffer>& pk, const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: pk.pack_nil(); break;
    case json::kind::bool_: v.get_bool() ? pk.pack_true() : pk.pack_false(); break;
    case json::kind::int64: pk.pack_int64(v.get_int64()); break;
    case json::kind::uint64: pk.pack_uint64(v.get_uint64()); break;
    case json::kind::double_: pk.pack_double(v.get_double()); break;
    case json::kind::string: {
      auto& s = v.get_string();
      pk.pack_str(static_cast<uint32_t>(s.size()));
      pk.pack_str_body(s.data(), static_cast<uint32_t>(s.size()));
      break;
    }
    case json::kind::array: {
      auto& a = v.get_array();
      pk.pack_array(static_cast<uint32_t>(a.size()));
      for (auto& item : a)
        pack(pk, item);
      break;
    }
    case json::kind::object: {
      auto& o = v.get_object();
      pk.pack_map(static_cast<uint32_t>(o.size()));
      for (auto& kv : o) {
        pk.pack_str(static_cast<uint32_t>(kv.key().size()));
        pk.pack_str_body(kv.key().data(), static_cast<uint32_t>(kv.key().size()));
        pack(pk, kv.value());
      }
      break;
    }
  }
}

}  // namespace

std::optional<json::value> msgpack_to_json(std::string_view bytes, std::string& error) {
  try {
    size_t offset = 0;
    // Limits bound what a hostile frame can make the unpacker allocate.
    msgpack::unpack_limit limit(4096, 4096, 65536, 65536, 4096, max_depth);
    auto handle = msgpack::unpack(bytes.data(), bytes.size(), offset, nullptr, nullptr, limit);
    if (offset != bytes.size()) {
      error = "one MessagePack value per frame";
      return std::nullopt;
    }
    json::value out;
    if (!convert(handle.get(), out, 0, error))
      return std::nullopt;
    return out;
  } catch (const std::exception&) {
    error = "malformed MessagePack";
    return std::nullopt;
  }
}

std::string json_to_msgpack(const json::value& v) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(&buf);
  pack(pk, v);
  return std::string(buf.data(), buf.size());
}

}  // namespace parley::net
