#include "net/json_schema.hpp"

#include <boost/json.hpp>

#include <cmath>
#include <limits>

#include "net/json_text.hpp"

namespace parley::net::schema {
namespace json = boost::json;
using namespace parley::actors;

namespace {

// -- reading a request ------------------------------------------------------------------------

/// Reads typed fields from a request object; remembers the first problem.
class field_reader {
public:
  explicit field_reader(const json::object& o) : o_(o) {}

  const std::string& error() const { return error_; }
  bool ok() const { return error_.empty(); }

  /// A required string; "" (and an error) when missing or not a string.
  std::string text(std::string_view key) {
    auto v = get(key);
    if (!v) {
      fail(key, "is required");
      return {};
    }
    return as_text(key, *v);
  }

  std::optional<std::string> optional_text(std::string_view key) {
    auto v = get(key);
    if (!v)
      return std::nullopt;
    return as_text(key, *v);
  }

  int64_t integer(std::string_view key) {
    auto v = get(key);
    if (!v) {
      fail(key, "is required");
      return 0;
    }
    return as_integer(key, *v);
  }

  std::optional<int64_t> optional_integer(std::string_view key) {
    auto v = get(key);
    if (!v)
      return std::nullopt;
    return as_integer(key, *v);
  }

  std::optional<bool> optional_bool(std::string_view key) {
    auto v = get(key);
    if (!v)
      return std::nullopt;
    if (!v->is_bool()) {
      fail(key, "must be a boolean");
      return std::nullopt;
    }
    return v->get_bool();
  }

  std::vector<std::string> text_list(std::string_view key) {
    std::vector<std::string> out;
    auto v = get(key);
    if (!v)
      return out;
    if (!v->is_array()) {
      fail(key, "must be an array of strings");
      return out;
    }
    for (auto& item : v->get_array()) {
      if (!item.is_string()) {
        fail(key, "must be an array of strings");
        return {};
      }
      out.emplace_back(item.get_string());
    }
    return out;
  }

  /// An object, re-serialized as compact JSON text ("" when absent).
  std::string object_text(std::string_view key) {
    auto v = get(key);
    if (!v)
      return {};
    if (!v->is_object()) {
      fail(key, "must be an object");
      return {};
    }
    return json::serialize(*v);
  }

private:
  /// A key that is absent or null counts as absent.
  const json::value* get(std::string_view key) const {
    auto v = o_.if_contains(key);
    return v && !v->is_null() ? v : nullptr;
  }

  std::string as_text(std::string_view key, const json::value& v) {
    if (!v.is_string()) {
      fail(key, "must be a string");
      return {};
    }
    return std::string{v.get_string()};
  }

  int64_t as_integer(std::string_view key, const json::value& v) {
    if (v.is_int64())
      return v.get_int64();
    if (v.is_uint64() && v.get_uint64() <= uint64_t(std::numeric_limits<int64_t>::max()))
      return static_cast<int64_t>(v.get_uint64());
    if (v.is_double()) {
      double d = v.get_double();
      if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9.0e15)
        return static_cast<int64_t>(d);
    }
    fail(key, "must be an integer");
    return 0;
  }

  void fail(std::string_view key, std::string_view what) {
    if (error_.empty())
      error_ = "'" + std::string{key} + "' " + std::string{what};
  }

  const json::object& o_;
  std::string error_;
};

request_id read_id(const json::object& o, bool& usable) {
  usable = true;
  auto v = o.if_contains("id");
  if (!v || v->is_null())
    return {};
  if (v->is_int64())
    return request_id::of(v->get_int64());
  if (v->is_uint64())
    return {request_id::kind::real, 0, static_cast<double>(v->get_uint64()), {}};
  if (v->is_double())
    return {request_id::kind::real, 0, v->get_double(), {}};
  if (v->is_string())
    return request_id::of(std::string{v->get_string()});
  usable = false;
  return {};
}

request read_body(std::string_view t, field_reader& f, bool& known) {
  known = true;
  if (t == "send") {
    send_req r;
    r.room = f.text("room");
    r.cid = f.text("cid");
    r.body = f.text("body");
    if (auto k = f.optional_text("kind"))
      r.kind = std::move(*k);
    r.reply_to = f.optional_integer("reply_to").value_or(0);
    r.meta = f.object_text("meta");
    return r;
  }
  if (t == "join") {
    join_req r;
    r.room = f.text("room");
    r.since = f.optional_integer("since");
    return r;
  }
  if (t == "typing") {
    typing_req r;
    r.room = f.text("room");
    r.on = f.optional_bool("on").value_or(true);
    return r;
  }
  if (t == "read") {
    read_req r;
    r.room = f.text("room");
    r.seq = f.integer("seq");
    return r;
  }
  if (t == "history") {
    history_req r;
    r.room = f.text("room");
    r.before = f.optional_integer("before");
    r.after = f.optional_integer("after");
    r.limit = f.optional_integer("limit").value_or(50);
    return r;
  }
  if (t == "leave")
    return leave_req{f.text("room")};
  if (t == "create") {
    create_req r;
    r.room = f.optional_text("room");
    r.members = f.text_list("members");
    r.title = f.optional_text("title").value_or("");
    r.admins = f.text_list("admins");
    return r;
  }
  if (t == "edit") {
    edit_req r;
    r.room = f.text("room");
    r.target = f.integer("target");
    r.body = f.text("body");
    return r;
  }
  if (t == "delete") {
    delete_req r;
    r.room = f.text("room");
    r.target = f.integer("target");
    return r;
  }
  if (t == "react") {
    react_req r;
    r.room = f.text("room");
    r.target = f.integer("target");
    r.emoji = f.text("emoji");
    r.on = f.optional_bool("on").value_or(true);
    return r;
  }
  if (t == "invite")
    return invite_req{f.text("room"), f.text("user")};
  if (t == "remove")
    return remove_req{f.text("room"), f.text("user")};
  if (t == "rooms")
    return rooms_req{f.optional_integer("limit").value_or(50)};
  if (t == "presence")
    return presence_req{f.text_list("users")};
  if (t == "ping")
    return ping_req{};
  if (t == "auth")
    return auth_req{f.text("token")};
  known = false;
  return ping_req{};
}

// -- writing replies and events ---------------------------------------------------------------

// The frames of the hot path (a message event, a send's ack) are written by one set of
// functions below into either a sink: `object_sink` builds the JSON tree (for MessagePack,
// and for the frames that nest them), `json_text` writes the text straight (json_text.hpp).
// So the keys and their order are written down once.

/// Puts fields into a JSON object, with json_text's interface.
struct object_sink {
  json::object& o;

  template <class T>
  object_sink& field(std::string_view key, T&& value) {
    o[key] = std::forward<T>(value);
    return *this;
  }
  const json::storage_ptr& storage() const { return o.storage(); }
};

/// json_text's values live on the heap (it only serializes them).
const json::storage_ptr& storage_of(const json_text&) {
  static const json::storage_ptr heap;
  return heap;
}
const json::storage_ptr& storage_of(const object_sink& s) {
  return s.storage();
}

template <class Sink>
void put_id(Sink& s, const request_id& id) {
  switch (id.k) {
    case request_id::kind::none: break;
    case request_id::kind::integer: s.field("id", id.integer); break;
    case request_id::kind::real: s.field("id", json::value(id.real)); break;
    case request_id::kind::text: s.field("id", id.text); break;
  }
}

/// Stored `meta` is JSON text written by this codec; unreadable text is dropped, not sent.
template <class Sink>
void put_meta(Sink& s, const std::string& meta) {
  if (meta.empty())
    return;
  json::error_code ec;
  auto v = json::parse(meta, ec, storage_of(s));
  if (!ec && v.is_object())
    s.field("meta", std::move(v));
}

template <class Sink>
void put_msg(Sink& s, const storage::event& e) {
  s.field("t", "msg").field("room", e.room).field("seq", e.seq).field("from", e.sender);
  s.field("body", e.body);
  s.field("kind", e.subtype.empty() ? std::string_view{"text"} : std::string_view{e.subtype});
  s.field("ts", e.ts).field("cid", e.cid);
  if (e.target > 0)
    s.field("reply_to", e.target);
  put_meta(s, e.meta);
}

template <class Sink>
void put_ok_send(Sink& s, const ok_send& r) {
  s.field("t", "ok").field("room", r.room).field("seq", r.seq).field("ts", r.ts);
}

// Every builder below takes the storage its values live in: the codec builds a frame's
// values in a buffer on its stack (json::monotonic_resource), so encoding an event or a
// reply does not call malloc per key and string (heaptrack: 35 of a send's ~100
// allocations were these). Values moved between storages are copied, so one frame's
// values all share one.

json::object msg_object(const storage::event& e, const json::storage_ptr& sp) {
  json::object o(sp);
  o.reserve(10);
  object_sink sink{o};
  put_msg(sink, e);
  return o;
}

json::object persistent_event_object(const storage::event& e, const json::storage_ptr& sp) {
  if (e.kind == storage::event_kind::msg)
    return msg_object(e, sp);
  json::object o(sp);
  o["t"] = std::string{storage::to_string(e.kind)};
  o["room"] = e.room;
  o["seq"] = e.seq;
  switch (e.kind) {
    case storage::event_kind::edit:
      o["target"] = e.target;
      o["body"] = e.body;
      break;
    case storage::event_kind::del:
      o["target"] = e.target;
      break;
    case storage::event_kind::react:
      o["target"] = e.target;
      o["emoji"] = e.body;
      o["on"] = e.subtype == "on";
      break;
    case storage::event_kind::member:
      o["user"] = e.body;
      o["action"] = e.subtype;
      break;
    case storage::event_kind::msg:
      break;
  }
  o["from"] = e.sender;
  o["ts"] = e.ts;
  return o;
}

json::object history_message(const storage::message_state& m, const json::storage_ptr& sp) {
  auto o = msg_object(m.msg, sp);
  if (m.edited_ts > 0)
    o["edited_ts"] = m.edited_ts;
  o["deleted"] = m.deleted;
  if (m.deleted)
    o["body"] = "";
  json::object reactions(sp);
  for (auto& [emoji, users] : m.reactions) {
    json::array a(sp);
    for (auto& u : users)
      a.emplace_back(u);
    reactions[emoji] = std::move(a);
  }
  o["reactions"] = std::move(reactions);
  return o;
}

/// Whole numbers as integers ("20", not "2E1"), others as doubles.
json::value number(double x) {
  if (std::trunc(x) == x && std::fabs(x) < 9.0e15)
    return static_cast<int64_t>(x);
  return x;
}

json::object presence_object(const presence_entry& p, const json::storage_ptr& sp) {
  json::object o(sp);
  o["user"] = p.user;
  o["status"] = p.online ? "online" : "offline";
  o["last_seen"] = p.last_seen;
  return o;
}

json::value last_of(const std::optional<storage::message_state>& m,
                    const json::storage_ptr& sp) {
  if (!m)
    return json::value(nullptr, sp);
  return history_message(*m, sp);
}

struct reply_writer {
  json::object& o;
  const json::storage_ptr& sp;

  void operator()(const ok_empty&) { o["t"] = "ok"; }
  void operator()(const ok_create& r) {
    o["t"] = "ok";
    o["room"] = r.room;
  }
  void operator()(const ok_send& r) {
    object_sink sink{o};
    put_ok_send(sink, r);
  }
  void operator()(const ok_join& r) {
    o["t"] = "ok";
    o["room"] = r.room;
    o["head"] = r.head;
    if (r.has_reads) {
      json::object reads(sp);
      for (auto& [user, seq] : r.reads)
        reads[user] = seq;
      o["reads"] = std::move(reads);
    }
    o["replayed"] = r.replayed;
    o["gap"] = r.gap;
  }
  void operator()(const ok_history& r) {
    o["t"] = "ok";
    json::array msgs(sp);
    for (auto& m : r.messages)
      msgs.emplace_back(history_message(m, sp));
    o["messages"] = std::move(msgs);
    o["more"] = r.more;
  }
  void operator()(const pong&) { o["t"] = "pong"; }
  void operator()(const ok_presence& r) {
    o["t"] = "ok";
    json::array list(sp);
    for (auto& p : r.presence)
      list.emplace_back(presence_object(p, sp));
    o["presence"] = std::move(list);
  }
  void operator()(const ok_rooms& r) {
    o["t"] = "ok";
    json::array list(sp);
    for (auto& s : r.rooms) {
      json::object room(sp);
      room["room"] = s.room;
      room["title"] = s.title;
      room["head"] = s.head;
      room["read"] = s.read;
      room["unread"] = s.unread;
      room["last"] = last_of(s.last, sp);
      list.emplace_back(std::move(room));
    }
    o["rooms"] = std::move(list);
  }
  void operator()(const hello& h) {
    o["t"] = "hello";
    o["session"] = h.session;
    o["user"] = h.user;
    o["node"] = h.node;
    o["heartbeat_ms"] = h.heartbeat_ms;
    json::object rate(sp);
    rate["per_s"] = number(h.rate_per_s);
    rate["burst"] = number(h.rate_burst);
    json::object limits(sp);
    limits["frame"] = h.max_frame;
    limits["body"] = h.max_body;
    limits["rooms"] = h.max_rooms;
    limits["rate"] = std::move(rate);
    o["limits"] = std::move(limits);
    o["server_time"] = h.server_time;
  }
  void operator()(const error_info& e) {
    o["t"] = "error";
    o["code"] = to_string(e.code);
    o["message"] = e.message;
    o["retryable"] = is_retryable(e.code);
    if (e.retry_after_ms >= 0)
      o["retry_after_ms"] = e.retry_after_ms;
  }
};

}  // namespace

decode_result request_from_json(const json::value& v) {
  if (!v.is_object())
    return decode_error{{}, "a frame must hold one object"};
  auto& o = v.get_object();
  bool id_usable = true;
  auto id = read_id(o, id_usable);
  if (!id_usable)
    return decode_error{{}, "'id' must be a number or a string"};
  auto t = o.if_contains("t");
  if (!t || !t->is_string())
    return decode_error{id, "'t' must be a string"};
  field_reader f{o};
  bool known = false;
  auto req = read_body(t->get_string(), f, known);
  if (!known)
    return decode_error{id, "unknown type '" + std::string{t->get_string()} + "'"};
  if (!f.ok())
    return decode_error{id, f.error()};
  return inbound{std::move(id), std::move(req)};
}

json::value reply_to_json(const reply& r, const json::storage_ptr& sp) {
  json::object o(sp);
  o.reserve(6);
  std::visit(reply_writer{o, sp}, r.body);
  object_sink sink{o};
  put_id(sink, r.id);
  return o;
}

json::value event_to_json(const event_payload& ev, const json::storage_ptr& sp) {
  return std::visit(
    [&sp](const auto& e) -> json::value {
      using T = std::decay_t<decltype(e)>;
      json::object o(sp);
      if constexpr (std::is_same_v<T, storage::event>) {
        return persistent_event_object(e, sp);
      } else if constexpr (std::is_same_v<T, presence_entry>) {
        o = presence_object(e, sp);
        o["t"] = "presence";
      } else if constexpr (std::is_same_v<T, room_update>) {
        o["t"] = "room";
        o["room"] = e.room;
        o["head"] = e.head;
        o["unread"] = e.unread;
        o["last"] = last_of(e.last, sp);
      } else if constexpr (std::is_same_v<T, typing_event>) {
        o["t"] = "typing";
        o["room"] = e.room;
        o["user"] = e.user;
        o["on"] = e.on;
      } else {
        o["t"] = "read";
        o["room"] = e.room;
        o["user"] = e.user;
        o["seq"] = e.seq;
      }
      return o;
    },
    ev);
}

std::optional<std::string> event_text(const event_payload& ev) {
  auto e = std::get_if<storage::event>(&ev);
  if (!e || e->kind != storage::event_kind::msg)
    return std::nullopt;
  json_text out(e->body.size() + e->room.size() + e->sender.size() + e->cid.size()
                + e->meta.size() + 96);
  put_msg(out, *e);
  return std::move(out).finish();
}

std::optional<std::string> reply_text(const reply& r) {
  // The keys, the numbers and the quotes of the longest (an ok to a send) take under 96
  // characters besides the room and the id: one allocation per reply.
  auto ok = std::get_if<ok_send>(&r.body);
  json_text out(r.id.text.size() + (ok ? ok->room.size() : 0) + 96);
  if (ok)
    put_ok_send(out, *ok);
  else if (std::holds_alternative<ok_empty>(r.body))
    out.field("t", "ok");
  else
    return std::nullopt;
  put_id(out, r.id);
  return std::move(out).finish();
}

}  // namespace parley::net::schema
