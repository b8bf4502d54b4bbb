#include "storage/pg_store.hpp"

#include <pqxx/except>
#include <pqxx/nontransaction>
#include <pqxx/result>
#include <pqxx/transaction>

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <functional>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "storage/detail/message_fold.hpp"
#include "storage/detail/migration_runner.hpp"
#include "storage/detail/pg_batch_writer.hpp"
#include "storage/detail/pg_connection.hpp"
#include "storage/detail/pg_queries.hpp"
#include "storage/detail/pg_text.hpp"
#include "storage/detail/room_summaries.hpp"
#include "storage/detail/unread_counts.hpp"
#include "storage/detail/store_limits.hpp"

namespace parley::storage {

namespace pg = detail::pg;
using detail::has_nul;

namespace {

/// Held (per transaction) by whoever applies migrations to this database, so two processes
/// starting at once take turns instead of racing on CREATE TABLE. Any fixed number works.
constexpr int64_t migration_lock_key = 0x7061726c65790001;  // "parley", 1

/// A migration may legitimately run for long (an index over a big table), and a process
/// starting beside one that migrates should wait for it rather than fail: migrate() is the
/// one call that lifts the session's few-second timeouts, for its own transactions only.
constexpr const char* migration_timeouts =
  "SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = '5min'";

/// Reads the rows of the event selects.
result<std::vector<event>> to_events(const pqxx::result& rows, std::string_view room) {
  std::vector<event> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    event e;
    if (!pg::read_event(row, e))
      return error{errc::internal, "pg: unknown event kind in room " + std::string{room}};
    out.push_back(std::move(e));
  }
  return out;
}

/// A read-only snapshot for the reads of a call that needs several statements.
using snapshot = pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>;

/// The page of `msgs` of `room` (as make_history_page takes them), folded from their
/// changes: one more statement (none for an empty page).
result<history_page> fold_page(pqxx::transaction_base& tx, const std::string& room,
                               std::vector<event> msgs, bool forward, int64_t limit) {
  return detail::make_history_page(std::move(msgs), forward, limit,
                                   [&](int64_t first, int64_t last) {
                                     return to_events(tx.exec_prepared(pg::name(
                                                                         pg::msg_changes),
                                                                       room, first, last),
                                                      room);
                                   });
}

/// The room's latest message in its current state (nullopt: it has none), folded as history
/// folds it (a page of one message, backward from the head): two statements, one when the
/// room has no message.
result<std::optional<message_state>> latest_message(pqxx::transaction_base& tx,
                                                    const std::string& room) {
  auto msgs = to_events(tx.exec_prepared(pg::name(pg::msgs_desc), room, pg::min_seq,
                                         pg::max_seq, 1),
                        room);
  if (!msgs)
    return msgs.err();
  auto page = fold_page(tx, room, std::move(*msgs), false, 1);
  if (!page)
    return page.err();
  if (page->messages.empty())
    return std::optional<message_state>{};
  return std::optional<message_state>{std::move(page->messages.front())};
}

}  // namespace

pg_insert_mode default_pg_insert_mode() {
  if (const char* v = std::getenv("PARLEY_PG_INSERT")) {
    std::string_view mode{v};
    if (mode == "copy")
      return pg_insert_mode::copy;
    if (mode == "multirow")
      return pg_insert_mode::multirow;
  }
  // Measured (durable server; tests/unit/store_pg_timing_test.cpp): COPY is as fast for a
  // one-event batch, about 8 % slower when every room of a batch has one event (COPY costs
  // one more round trip per room), and 1.2x (16 events in a room) to 4x (1024) faster
  // beyond: thousands of parameters cost the server more to parse and plan than COPY rows.
  return pg_insert_mode::copy;
}

pg_store::pg_store(const std::string& conninfo, pg_insert_mode mode) : mode_(mode) {
  try {
    conn_ = std::make_unique<detail::pg_connection>(conninfo);
    open_status_ = conn_->connect();
  } catch (const std::exception& e) {
    open_status_ = error{errc::internal, std::string{"pg: open: "} + e.what()};
  }
}

pg_store::~pg_store() = default;

result<std::unique_ptr<pg_store>> pg_store::open(const std::string& conninfo,
                                                 pg_insert_mode mode) {
  try {
    auto s = std::make_unique<pg_store>(conninfo, mode);
    if (!s->open_status().ok())
      return s->open_status();
    return s;
  } catch (const std::exception& e) {
    return error{errc::internal, std::string{"pg: open: "} + e.what()};
  }
}

int pg_store::backend_pid() const {
  return conn_ ? conn_->backend_pid() : 0;
}

status pg_store::migrate() {
  if (!conn_)
    return open_status_;
  return conn_->run("pg: migrate", [&](pqxx::connection_base& c) -> status {
    pqxx::transaction_base* tx = nullptr;  // the migration's transaction, for the hooks
    detail::migration_hooks hooks;
    hooks.in_transaction = [&](const std::function<status()>& body) -> status {
      pqxx::work work{c};
      work.exec(migration_timeouts);
      work.exec_params("SELECT pg_advisory_xact_lock($1)", migration_lock_key);
      tx = &work;
      auto st = body();
      tx = nullptr;
      if (st)
        return st;  // the work's destructor rolls back
      work.commit();
      return {};
    };
    hooks.exec = [&](const std::string& sql, std::string_view) -> status {
      tx->exec(sql);
      return {};
    };
    hooks.is_applied = [&](int number) -> result<bool> {
      return !tx->exec_prepared(pg::name(pg::has_version), number).empty();
    };
    hooks.record = [&](const migration& m, int64_t applied_at) -> status {
      tx->exec_prepared0(pg::name(pg::record_version), m.number, std::string{m.name},
                         applied_at);
      return {};
    };
    return detail::apply_migrations(hooks, "pg");
  });
}

result<int> pg_store::schema_version() {
  if (!conn_)
    return open_status_;
  return conn_->run("pg: schema_version", [&](pqxx::connection_base& c) -> result<int> {
    pqxx::nontransaction tx{c};
    if (!tx.exec_prepared1(pg::name(pg::version_table))[0].as<bool>())
      return 0;  // an empty database: not even the table yet
    return tx.exec_prepared1(pg::name(pg::max_version))[0].as<int>();
  });
}

status pg_store::ping() {
  if (!conn_)
    return open_status_;
  return conn_->run("pg: ping", [&](pqxx::connection_base& c) -> status {
    pqxx::nontransaction tx{c};
    tx.exec_prepared1(pg::name(pg::ping));
    return {};
  });
}

status pg_store::create_room(const room_record& room) {
  if (!conn_)
    return open_status_;
  return conn_->run("pg: create_room", [&](pqxx::connection_base& c) -> status {
    if (room.id.empty())
      return error{errc::internal, "pg: create_room: empty room id"};
    if (auto bad = detail::unstorable(room))
      return error{errc::internal, "pg: create_room: " + *bad};
    pqxx::work tx{c};
    try {
      tx.exec_prepared0(pg::name(pg::insert_room), room.id, room.title, room.created_by,
                        room.created_at);
    } catch (const pqxx::unique_violation&) {
      return error{errc::conflict, "room " + room.id + " exists"};
    }
    for (const auto& m : room.members) {
      tx.exec_prepared0(pg::name(pg::insert_user), m.user);
      try {
        tx.exec_prepared0(pg::name(pg::insert_member), room.id, m.user,
                          m.role == member_role::admin ? "admin" : "member", room.created_at);
      } catch (const pqxx::unique_violation&) {
        return error{errc::conflict, "room " + room.id + " lists member " + m.user + " twice"};
      }
    }
    tx.commit();
    return {};
  });
}

result<std::optional<room_record>> pg_store::load_room(std::string_view room) {
  using out_t = result<std::optional<room_record>>;
  if (!conn_)
    return open_status_;
  return conn_->run("pg: load_room", [&](pqxx::connection_base& c) -> out_t {
    if (has_nul(room))
      return std::optional<room_record>{};
    pqxx::nontransaction tx{c};
    auto rows = tx.exec_prepared(pg::name(pg::select_room), std::string{room});
    if (rows.empty())
      return std::optional<room_record>{};
    room_record r;
    r.id = std::string{room};
    r.title = rows[0][0].c_str();
    r.created_by = rows[0][1].c_str();
    r.created_at = rows[0][2].as<int64_t>();
    r.head_seq = rows[0][3].as<int64_t>();
    for (const auto& row : rows) {
      if (row[4].is_null())  // the LEFT JOIN's row of a room without members
        continue;
      member m;
      m.user = row[4].c_str();
      m.role = std::string_view{row[5].c_str()} == "admin" ? member_role::admin
                                                           : member_role::member;
      m.read_seq = row[6].as<int64_t>();
      m.joined_at = row[7].as<int64_t>();
      r.members.push_back(std::move(m));
    }
    return std::optional<room_record>{std::move(r)};
  });
}

result<std::vector<event>> pg_store::events_after(std::string_view room, int64_t after,
                                                  int64_t limit) {
  if (!conn_)
    return open_status_;
  if (limit <= 0 || has_nul(room))
    return std::vector<event>{};
  return conn_->run("pg: events_after", [&](pqxx::connection_base& c) {
    pqxx::nontransaction tx{c};
    return to_events(tx.exec_prepared(pg::name(pg::events_asc), std::string{room}, after,
                                      pg::max_seq, limit),
                     room);
  });
}

result<std::vector<event>> pg_store::recent_events(std::string_view room, int64_t limit) {
  if (!conn_)
    return open_status_;
  if (limit <= 0 || has_nul(room))
    return std::vector<event>{};
  return conn_->run("pg: recent_events", [&](pqxx::connection_base& c) {
    pqxx::nontransaction tx{c};
    auto r = to_events(tx.exec_prepared(pg::name(pg::events_desc), std::string{room},
                                        pg::min_seq, pg::max_seq, limit),
                       room);
    if (r)
      std::reverse(r->begin(), r->end());
    return r;
  });
}

result<std::optional<event>> pg_store::find_message(std::string_view room,
                                                    std::string_view sender,
                                                    std::string_view cid) {
  if (!conn_)
    return open_status_;
  // cid "" is stored as NULL, which matches nothing; a NUL byte cannot be stored at all.
  if (cid.empty() || has_nul(room) || has_nul(sender) || has_nul(cid))
    return std::optional<event>{};
  return conn_->run("pg: find_message",
                    [&](pqxx::connection_base& c) -> result<std::optional<event>> {
                      pqxx::nontransaction tx{c};
                      auto rows = tx.exec_prepared(pg::name(pg::find_message), std::string{room},
                                                   std::string{sender}, std::string{cid});
                      if (rows.empty())
                        return std::optional<event>{};
                      event e;
                      if (!pg::read_event(rows[0], e))
                        return error{errc::internal,
                                     "pg: unknown event kind in room " + std::string{room}};
                      return std::optional<event>{std::move(e)};
                    });
}

result<history_page> pg_store::history(const history_query& q) {
  if (!conn_)
    return open_status_;
  if (has_nul(q.room))
    return history_page{};
  auto limit = std::clamp<int64_t>(q.limit, 1, detail::max_history_limit);
  // With `after` the page runs forward from it (up to `before`, if both are given);
  // otherwise backward from `before` or the head. One row more than asked tells `more`.
  auto forward = q.after.has_value();
  auto lo = q.after.value_or(pg::min_seq);
  auto hi = q.before.value_or(pg::max_seq);
  return conn_->run("pg: history", [&](pqxx::connection_base& c) -> result<history_page> {
    snapshot tx{c};  // messages and their changes from one snapshot
    auto msgs = to_events(tx.exec_prepared(pg::name(forward ? pg::msgs_asc : pg::msgs_desc),
                                           q.room, lo, hi, limit + 1),
                          q.room);
    if (!msgs)
      return msgs.err();
    return fold_page(tx, q.room, std::move(*msgs), forward, limit);
  });
}

result<std::vector<room_summary>> pg_store::rooms_of(std::string_view user, int64_t limit) {
  using out_t = result<std::vector<room_summary>>;
  if (!conn_)
    return open_status_;
  if (has_nul(user))  // no such user can exist
    return std::vector<room_summary>{};
  limit = std::clamp<int64_t>(limit, 1, detail::max_rooms_limit);
  return conn_->run("pg: rooms_of", [&](pqxx::connection_base& c) -> out_t {
    // Two round trips whatever the number of rooms: the list with each room's unread count
    // and latest message, then the changes of all those messages; one snapshot for both.
    snapshot tx{c};
    auto rows = tx.exec_prepared(pg::name(pg::rooms_of), std::string{user}, limit,
                                 detail::unread_window);
    std::vector<room_summary> out;
    std::vector<std::optional<event>> latest;
    std::vector<std::string> params;  // (room, seq) of each latest message
    out.reserve(rows.size());
    latest.reserve(rows.size());
    for (const auto& row : rows) {
      room_summary r;
      pg::read_summary(row, r);
      std::optional<event> msg;
      if (!row[6].is_null()) {  // the LEFT JOIN's NULLs: a room without messages
        msg.emplace();
        if (!pg::read_event(row, *msg, 6))
          return error{errc::internal, "pg: unknown event kind in room " + r.room};
        params.push_back(r.room);
        params.push_back(std::to_string(msg->seq));
      }
      out.push_back(std::move(r));
      latest.push_back(std::move(msg));
    }
    std::unordered_map<std::string, std::vector<event>> changes;  // by room, ascending seq
    std::optional<error> bad;
    pg::exec_rows(tx, params, 2, pg::last_msg_changes_sql, [&](const pqxx::result& found) {
      for (const auto& row : found) {
        event e;
        if (!pg::read_event(row, e))
          bad = error{errc::internal,
                      "pg: unknown event kind in room " + std::string{row[0].c_str()}};
        else
          changes[e.room].push_back(std::move(e));
      }
    });
    if (bad)
      return *bad;
    // Folded as history folds a page (here of one message, backward from the head).
    for (size_t i = 0; i < out.size(); ++i) {
      if (!latest[i])
        continue;
      auto page = detail::make_history_page(
        std::vector<event>{std::move(*latest[i])}, false, 1,
        [&](int64_t, int64_t) -> result<std::vector<event>> {
          return std::move(changes[out[i].room]);
        });
      if (!page)
        return page.err();
      if (!page->messages.empty())
        out[i].last = std::move(page->messages.front());
    }
    return out;
  });
}

result<std::vector<room_summary>> pg_store::room_summaries(std::string_view room,
                                                           std::span<const std::string> users) {
  using out_t = result<std::vector<room_summary>>;
  if (!conn_)
    return open_status_;
  // Each user once; one with a NUL byte cannot be a member (no such row can exist).
  std::vector<std::string_view> asked;
  std::unordered_set<std::string_view> seen;
  for (const auto& u : users)
    if (!has_nul(u) && seen.insert(u).second)
      asked.push_back(u);
  if (asked.empty() || has_nul(room))  // nobody can be a member: no need to ask
    return std::vector<room_summary>(users.size());
  auto members_array = detail::text_array(asked);
  std::string room_id{room};
  return conn_->run("pg: room_summaries", [&](pqxx::connection_base& c) -> out_t {
    // Four statements at most whatever the number of users, in one snapshot: the members'
    // lines (one statement for them all), the messages after their oldest read marker (for
    // all their unread counts), then the room's latest message and its changes, read once
    // for the room (skipped when nobody asked is a member; the changes when the room has no
    // message).
    snapshot tx{c};
    auto rows = tx.exec_prepared(pg::name(pg::room_members), room_id, members_array);
    std::unordered_map<std::string, room_summary> members;
    for (const auto& row : rows) {
      room_summary r;
      pg::read_summary(row, r);
      members.emplace(row[6].c_str(), std::move(r));
    }
    if (!members.empty()) {  // their unread counts, from one read of the later messages
      detail::unread_counter unread{members};
      for (const auto& row :
           tx.exec_prepared(pg::name(pg::msg_senders_after), room_id, detail::min_read(members),
                            detail::unread_window))
        unread.add(row[0].as<int64_t>(), std::string_view{row[1].c_str(), row[1].size()});
      unread.finish();
    }
    std::optional<message_state> last;
    if (!members.empty()) {
      auto latest = latest_message(tx, room_id);
      if (!latest)
        return latest.err();
      last = std::move(*latest);
    }
    return detail::summaries_in_request_order(users, members, last);
  });
}

status pg_store::set_last_seen(std::span<const user_seen> seen) {
  if (!conn_)
    return open_status_;
  if (seen.empty())
    return {};
  // One row per user (ON CONFLICT DO UPDATE refuses to touch a row twice in a statement),
  // with the later time of a user named twice, as applying them in turn would give.
  std::unordered_map<std::string_view, size_t> row_of;
  std::vector<std::string> params;
  for (const auto& u : seen) {
    if (has_nul(u.user))
      return error{errc::internal, "pg: set_last_seen: a user id contains a NUL byte, which "
                                   "PostgreSQL text cannot hold"};
    auto [it, fresh] = row_of.try_emplace(u.user, params.size() / 2);
    if (fresh) {
      params.push_back(u.user);
      params.push_back(std::to_string(u.last_seen));
    } else {
      params[2 * it->second + 1] = std::to_string(u.last_seen);
    }
  }
  return conn_->run("pg: set_last_seen", [&](pqxx::connection_base& c) -> status {
    pqxx::work tx{c};
    pg::exec_rows(tx, params, 2, pg::set_last_seen_sql);
    tx.commit();
    return {};
  });
}

result<std::vector<user_seen>> pg_store::last_seen(std::span<const std::string> users) {
  using out_t = result<std::vector<user_seen>>;
  if (!conn_)
    return open_status_;
  std::vector<user_seen> out;
  out.reserve(users.size());
  std::vector<std::string> params;  // each storable user once
  std::unordered_set<std::string_view> asked;
  for (const auto& u : users) {
    out.push_back(user_seen{u, 0});
    if (!has_nul(u) && asked.insert(u).second)  // a NUL: no such user can exist
      params.push_back(u);
  }
  if (params.empty())
    return out;
  return conn_->run("pg: last_seen", [&](pqxx::connection_base& c) -> out_t {
    pqxx::nontransaction tx{c};
    std::unordered_map<std::string, int64_t> found;
    pg::exec_rows(tx, params, 1, pg::last_seen_sql, [&](const pqxx::result& rows) {
      for (const auto& row : rows)
        found.emplace(row[0].c_str(), row[1].as<int64_t>());
    });
    auto answer = out;
    for (auto& u : answer)
      if (auto f = found.find(u.user); f != found.end())
        u.last_seen = f->second;
    return answer;
  });
}

std::vector<room_write_outcome> pg_store::write(std::span<const room_writes> batch) {
  if (!conn_)
    return std::vector<room_write_outcome>(batch.size(),
                                           {open_status_.code, open_status_.message, {}});
  return detail::pg_batch_writer{*conn_, mode_}.write(batch);
}

}  // namespace parley::storage
