#include "storage/sqlite_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <exception>
#include <functional>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "storage/detail/message_fold.hpp"
#include "storage/detail/migration_runner.hpp"
#include "storage/detail/room_summaries.hpp"
#include "storage/detail/sqlite_batch_writer.hpp"
#include "storage/detail/unread_counts.hpp"
#include "storage/detail/store_limits.hpp"
#include "storage/migrations.hpp"

namespace parley::storage {

namespace sql = detail::sql;
using detail::rollback_guard;

namespace {

/// Runs `f`, turning any exception (bad_alloc, a bug) into `internal`: nothing but values
/// leaves the store. Transactions opened inside `f` are rolled back by their guards.
template <class F>
auto catching(const char* what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return error{errc::internal, std::string{what} + ": " + e.what()};
  } catch (...) {
    return error{errc::internal, std::string{what} + ": unknown exception"};
  }
}

}  // namespace

sqlite_store::sqlite_store(const std::string& path) {
  open_status_ = catching("sqlite: open", [&] { return conn_.open(path); });
}

sqlite_store::~sqlite_store() = default;

result<std::unique_ptr<sqlite_store>> sqlite_store::open(const std::string& path) {
  return catching("sqlite: open", [&]() -> result<std::unique_ptr<sqlite_store>> {
    auto s = std::make_unique<sqlite_store>(path);
    if (!s->open_status().ok())
      return s->open_status();
    return s;
  });
}

status sqlite_store::migrate() {
  if (!open_status_.ok())
    return open_status_;
  return catching("sqlite: migrate", [&] { return migrate_impl(); });
}

status sqlite_store::migrate_impl() {
  detail::migration_hooks hooks;
  hooks.in_transaction = [&](const std::function<status()>& body) -> status {
    // BEGIN IMMEDIATE takes the write lock: a second process migrating the same file waits
    // for it (up to the busy timeout) and then finds the migration recorded.
    if (auto err = conn_.begin_write())
      return err;
    rollback_guard guard{conn_};
    if (auto err = body())
      return err;
    if (auto err = conn_.commit("sqlite: migrate: COMMIT"))
      return err;
    guard.dismiss();
    return {};
  };
  hooks.exec = [&](const std::string& sql, std::string_view what) {
    return conn_.exec(sql, what);
  };
  hooks.is_applied = [&](int number) -> result<bool> {
    auto st = sql::prepare(conn_, sql::has_version);
    if (!st)
      return st.err();
    st->bind(1, int64_t{number});
    auto rc = st->step();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
      return conn_.fail(rc, "sqlite: schema_version");
    return rc == SQLITE_ROW;
  };
  hooks.record = [&](const migration& m, int64_t applied_at) -> status {
    auto st = sql::prepare(conn_, sql::record_version);
    if (!st)
      return st.err();
    st->bind(1, int64_t{m.number}).bind(2, m.name).bind(3, applied_at);
    if (auto rc = st->step(); rc != SQLITE_DONE)
      return conn_.fail(rc, "sqlite: migration " + std::string{m.name});
    return {};
  };
  return detail::apply_migrations(hooks, "sqlite");
}

result<int> sqlite_store::schema_version() {
  if (!open_status_.ok())
    return open_status_;
  return catching("sqlite: schema_version", [&]() -> result<int> {
    {
      auto st = sql::prepare(conn_, sql::version_table);
      if (!st)
        return st.err();
      auto rc = st->step();
      if (rc != SQLITE_ROW)
        return conn_.fail(rc, "sqlite: schema_version");
      if (st->int64(0) == 0)
        return 0;  // an empty database: not even the table yet
    }
    auto st = sql::prepare(conn_, sql::max_version);
    if (!st)
      return st.err();
    auto rc = st->step();
    if (rc != SQLITE_ROW)
      return conn_.fail(rc, "sqlite: schema_version");
    return static_cast<int>(st->int64(0));
  });
}

status sqlite_store::ping() {
  if (!open_status_.ok())
    return open_status_;
  return catching("sqlite: ping", [&] { return sql::run(conn_, sql::ping, "sqlite: ping"); });
}

status sqlite_store::create_room(const room_record& room) {
  if (!open_status_.ok())
    return open_status_;
  return catching("sqlite: create_room", [&] { return create_room_impl(room); });
}

status sqlite_store::create_room_impl(const room_record& room) {
  if (room.id.empty())
    return error{errc::internal, "sqlite: create_room: empty room id"};
  if (auto err = conn_.begin_write())
    return err;
  rollback_guard guard{conn_};
  {
    auto st = sql::prepare(conn_, sql::insert_room);
    if (!st)
      return st.err();
    st->bind(1, room.id).bind(2, room.title).bind(3, room.created_by).bind(4, room.created_at);
    if (auto rc = st->step(); rc != SQLITE_DONE) {
      auto err = conn_.fail(rc, "sqlite: create_room " + room.id);
      if (err.code == errc::conflict)
        err.message = "room " + room.id + " exists";
      return err;
    }
  }
  for (const auto& m : room.members) {
    {
      auto st = sql::prepare(conn_, sql::insert_user);
      if (!st)
        return st.err();
      st->bind(1, m.user);
      if (auto rc = st->step(); rc != SQLITE_DONE)
        return conn_.fail(rc, "sqlite: create_room: user " + m.user);
    }
    auto st = sql::prepare(conn_, sql::insert_member);
    if (!st)
      return st.err();
    st->bind(1, room.id).bind(2, m.user);
    st->bind(3, m.role == member_role::admin ? "admin" : "member").bind(4, room.created_at);
    if (auto rc = st->step(); rc != SQLITE_DONE) {
      auto err = conn_.fail(rc, "sqlite: create_room: member " + m.user);
      if (err.code == errc::conflict)
        err.message = "room " + room.id + " lists member " + m.user + " twice";
      return err;
    }
  }
  if (auto err = conn_.commit("sqlite: create_room: COMMIT"))
    return err;
  guard.dismiss();
  return {};
}

result<std::optional<room_record>> sqlite_store::load_room(std::string_view room) {
  if (!open_status_.ok())
    return open_status_;
  return catching("sqlite: load_room", [&] { return load_room_impl(room); });
}

result<std::optional<room_record>> sqlite_store::load_room_impl(std::string_view room) {
  // One read transaction: the room row and its members come from the same snapshot.
  if (auto err = conn_.begin_read())
    return err;
  rollback_guard guard{conn_};  // ends the read transaction on every path
  room_record r;
  {
    auto st = sql::prepare(conn_, sql::select_room);
    if (!st)
      return st.err();
    st->bind(1, room);
    auto rc = st->step();
    if (rc == SQLITE_DONE)
      return std::optional<room_record>{};
    if (rc != SQLITE_ROW)
      return conn_.fail(rc, "sqlite: load_room");
    r.id = std::string{room};
    r.title = st->text(0);
    r.created_by = st->text(1);
    r.created_at = st->int64(2);
    r.head_seq = st->int64(3);
  }
  auto st = sql::prepare(conn_, sql::select_members);
  if (!st)
    return st.err();
  st->bind(1, room);
  int rc;
  while ((rc = st->step()) == SQLITE_ROW) {
    member m;
    m.user = st->text(0);
    m.role = st->text(1) == "admin" ? member_role::admin : member_role::member;
    m.read_seq = st->int64(2);
    m.joined_at = st->int64(3);
    r.members.push_back(std::move(m));
  }
  if (rc != SQLITE_DONE)
    return conn_.fail(rc, "sqlite: load_room: members");
  return std::optional<room_record>{std::move(r)};
}

result<std::vector<event>> sqlite_store::select_events(sql::id q, std::string_view room,
                                                       int64_t a, int64_t b, int64_t limit) {
  auto st = sql::prepare(conn_, q);
  if (!st)
    return st.err();
  st->bind(1, room).bind(2, a).bind(3, b).bind(4, limit);
  std::vector<event> out;
  int rc;
  while ((rc = st->step()) == SQLITE_ROW) {
    event e;
    if (!sql::read_event(*st, e))
      return error{errc::internal, "sqlite: unknown event kind in room " + std::string{room}};
    out.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE)
    return conn_.fail(rc, "sqlite: select events of " + std::string{room});
  return out;
}

result<std::vector<event>> sqlite_store::events_after(std::string_view room, int64_t after,
                                                      int64_t limit) {
  if (!open_status_.ok())
    return open_status_;
  if (limit <= 0)
    return std::vector<event>{};
  return catching("sqlite: events_after", [&] {
    return select_events(sql::events_asc, room, after, sql::max_seq, limit);
  });
}

result<std::vector<event>> sqlite_store::recent_events(std::string_view room, int64_t limit) {
  if (!open_status_.ok())
    return open_status_;
  if (limit <= 0)
    return std::vector<event>{};
  return catching("sqlite: recent_events", [&] {
    auto r = select_events(sql::events_desc, room, sql::min_seq, sql::max_seq, limit);
    if (r)
      std::reverse(r->begin(), r->end());
    return r;
  });
}

result<std::optional<event>> sqlite_store::find_message(std::string_view room,
                                                        std::string_view sender,
                                                        std::string_view cid) {
  if (!open_status_.ok())
    return open_status_;
  if (cid.empty())  // stored as NULL, which matches nothing
    return std::optional<event>{};
  return catching("sqlite: find_message", [&]() -> result<std::optional<event>> {
    auto st = sql::prepare(conn_, sql::find_message);
    if (!st)
      return st.err();
    st->bind(1, room).bind(2, sender).bind(3, cid);
    auto rc = st->step();
    if (rc == SQLITE_DONE)
      return std::optional<event>{};
    if (rc != SQLITE_ROW)
      return conn_.fail(rc, "sqlite: find_message");
    event e;
    if (!sql::read_event(*st, e))
      return error{errc::internal, "sqlite: unknown event kind in room " + std::string{room}};
    return std::optional<event>{std::move(e)};
  });
}

result<history_page> sqlite_store::history(const history_query& q) {
  if (!open_status_.ok())
    return open_status_;
  return catching("sqlite: history", [&] { return history_impl(q); });
}

result<history_page> sqlite_store::history_impl(const history_query& q) {
  auto limit = std::clamp<int64_t>(q.limit, 1, detail::max_history_limit);
  // With `after` the page runs forward from it (up to `before`, if both are given);
  // otherwise backward from `before` or the head. One row more than asked tells `more`.
  auto forward = q.after.has_value();
  auto lo = q.after.value_or(sql::min_seq);
  auto hi = q.before.value_or(sql::max_seq);
  if (auto err = conn_.begin_read())  // messages and their changes from one snapshot
    return err;
  rollback_guard guard{conn_};
  auto msgs = select_events(forward ? sql::msgs_asc : sql::msgs_desc, q.room, lo, hi, limit + 1);
  if (!msgs)
    return msgs.err();
  return fold_page(q.room, std::move(*msgs), forward, limit);
}

result<history_page> sqlite_store::fold_page(std::string_view room, std::vector<event> msgs,
                                             bool forward, int64_t limit) {
  return detail::make_history_page(std::move(msgs), forward, limit,
                                   [&](int64_t first, int64_t last) {
                                     return select_events(sql::msg_changes, room, first, last,
                                                          -1);
                                   });
}

result<std::optional<message_state>> sqlite_store::latest_message(std::string_view room) {
  // Folded as history folds it: a page of one message, backward from the head.
  auto msgs = select_events(sql::msgs_desc, room, sql::min_seq, sql::max_seq, 1);
  if (!msgs)
    return msgs.err();
  auto page = fold_page(room, std::move(*msgs), false, 1);
  if (!page)
    return page.err();
  if (page->messages.empty())
    return std::optional<message_state>{};
  return std::optional<message_state>{std::move(page->messages.front())};
}

status sqlite_store::count_unread(room_summary& r, std::string_view user) {
  auto st = sql::prepare(conn_, sql::count_unread);
  if (!st)
    return st.err();
  st->bind(1, r.room).bind(2, r.read).bind(3, user).bind(4, detail::unread_window);
  auto rc = st->step();
  if (rc != SQLITE_ROW)
    return conn_.fail(rc, "sqlite: unread of " + std::string{user} + " in " + r.room);
  r.unread = st->int64(0);
  return {};
}

result<std::vector<room_summary>> sqlite_store::rooms_of(std::string_view user, int64_t limit) {
  if (!open_status_.ok())
    return open_status_;
  return catching("sqlite: rooms_of", [&] { return rooms_of_impl(user, limit); });
}

result<std::vector<room_summary>> sqlite_store::rooms_of_impl(std::string_view user,
                                                              int64_t limit) {
  limit = std::clamp<int64_t>(limit, 1, detail::max_rooms_limit);
  if (auto err = conn_.begin_read())  // the list and each room's details from one snapshot
    return err;
  rollback_guard guard{conn_};
  std::vector<room_summary> out;
  {
    auto st = sql::prepare(conn_, sql::rooms_of);
    if (!st)
      return st.err();
    st->bind(1, user).bind(2, limit);
    int rc;
    while ((rc = st->step()) == SQLITE_ROW)
      sql::read_summary(*st, out.emplace_back());
    if (rc != SQLITE_DONE)
      return conn_.fail(rc, "sqlite: rooms_of");
  }
  // Per room, in-process and through indexes: the unread count, then the latest message.
  for (auto& r : out) {
    if (auto err = count_unread(r, user))
      return err;
    auto last = latest_message(r.room);
    if (!last)
      return last.err();
    r.last = std::move(*last);
  }
  return out;
}

result<std::vector<room_summary>>
sqlite_store::room_summaries(std::string_view room, std::span<const std::string> users) {
  if (!open_status_.ok())
    return open_status_;
  if (users.empty())
    return std::vector<room_summary>{};
  return catching("sqlite: room_summaries", [&] { return room_summaries_impl(room, users); });
}

result<std::vector<room_summary>>
sqlite_store::room_summaries_impl(std::string_view room, std::span<const std::string> users) {
  if (auto err = conn_.begin_read())  // every line and the latest message from one snapshot
    return err;
  rollback_guard guard{conn_};
  // Per distinct user, in-process and through indexes: the member's line by the members'
  // primary key.
  std::unordered_map<std::string, room_summary> members;
  std::unordered_set<std::string_view> asked;
  for (const auto& user : users) {
    if (!asked.insert(user).second)
      continue;
    room_summary r;
    auto st = sql::prepare(conn_, sql::room_member);
    if (!st)
      return st.err();
    st->bind(1, room).bind(2, user);
    auto rc = st->step();
    if (rc == SQLITE_DONE)
      continue;  // not a member, or no such room
    if (rc != SQLITE_ROW)
      return conn_.fail(rc, "sqlite: room_summaries of " + std::string{room});
    sql::read_summary(*st, r);
    members.emplace(user, std::move(r));
  }
  // Their unread counts from one read of the messages after the oldest marker.
  if (!members.empty()) {
    detail::unread_counter unread{members};
    auto st = sql::prepare(conn_, sql::msg_senders_after);
    if (!st)
      return st.err();
    st->bind(1, room).bind(2, detail::min_read(members)).bind(3, detail::unread_window);
    int rc;
    while ((rc = st->step()) == SQLITE_ROW)
      unread.add(st->int64(0), st->text_view(1));
    if (rc != SQLITE_DONE)
      return conn_.fail(rc, "sqlite: unread counts in " + std::string{room});
    unread.finish();
  }
  // The latest message once for the room, and only if someone will see it.
  std::optional<message_state> last;
  if (!members.empty()) {
    auto latest = latest_message(room);
    if (!latest)
      return latest.err();
    last = std::move(*latest);
  }
  return detail::summaries_in_request_order(users, members, last);
}

status sqlite_store::set_last_seen(std::span<const user_seen> seen) {
  if (!open_status_.ok())
    return open_status_;
  if (seen.empty())
    return {};
  return catching("sqlite: set_last_seen", [&] { return set_last_seen_impl(seen); });
}

status sqlite_store::set_last_seen_impl(std::span<const user_seen> seen) {
  if (auto err = conn_.begin_write())
    return err;
  rollback_guard guard{conn_};
  for (const auto& u : seen) {  // in order: a user named twice keeps the later time
    auto st = sql::prepare(conn_, sql::set_last_seen);
    if (!st)
      return st.err();
    st->bind(1, u.user).bind(2, u.last_seen);
    if (auto rc = st->step(); rc != SQLITE_DONE)
      return conn_.fail(rc, "sqlite: set_last_seen of " + u.user);
  }
  if (auto err = conn_.commit("sqlite: set_last_seen: COMMIT"))
    return err;
  guard.dismiss();
  return {};
}

result<std::vector<user_seen>> sqlite_store::last_seen(std::span<const std::string> users) {
  if (!open_status_.ok())
    return open_status_;
  return catching("sqlite: last_seen", [&] { return last_seen_impl(users); });
}

result<std::vector<user_seen>> sqlite_store::last_seen_impl(std::span<const std::string> users) {
  std::vector<user_seen> out;
  out.reserve(users.size());
  for (const auto& user : users) {
    auto st = sql::prepare(conn_, sql::last_seen);
    if (!st)
      return st.err();
    st->bind(1, user);
    auto rc = st->step();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
      return conn_.fail(rc, "sqlite: last_seen of " + user);
    out.push_back(user_seen{user, rc == SQLITE_ROW ? st->int64(0) : 0});
  }
  return out;
}

std::vector<room_write_outcome> sqlite_store::write(std::span<const room_writes> batch) {
  if (!open_status_.ok() && !batch.empty())
    return std::vector<room_write_outcome>(batch.size(),
                                           {open_status_.code, open_status_.message, {}});
  return detail::sqlite_batch_writer{conn_}.write(batch);
}

}  // namespace parley::storage
