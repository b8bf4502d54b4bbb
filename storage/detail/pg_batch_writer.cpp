#include "storage/detail/pg_batch_writer.hpp"

#include <pqxx/except>
#include <pqxx/prepared_statement>
#include <pqxx/stream_to>
#include <pqxx/transaction>

#include <algorithm>
#include <exception>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "storage/detail/pg_connection.hpp"
#include "storage/detail/pg_queries.hpp"
#include "storage/detail/pg_text.hpp"

namespace parley::storage::detail {

namespace {

/// A multi-row INSERT takes 1 + 9 parameters per event; PostgreSQL allows 65535 per
/// statement, so a room's events go in chunks of this many rows (one chunk in practice).
constexpr size_t max_rows_per_insert = 4096;

/// The (room_id, sender, cid) index is named in the first line of the error ("duplicate key
/// value violates unique constraint "events_cid""), in every server language; the lines
/// after it (DETAIL, CONTEXT) quote the clashing values, which users choose, so only the
/// first line is searched. libpqxx 6 does not expose the constraint-name field itself.
bool is_cid_clash(const pqxx::sql_error& e) {
  std::string_view text = e.what();
  return text.substr(0, text.find('\n')).find("events_cid") != std::string_view::npos;
}

/// The first line of a driver message: what PostgreSQL refused, without the values.
std::string first_line(const char* text) {
  std::string_view t = text;
  return std::string{t.substr(0, t.find('\n'))};
}

/// The largest ts of a room's (non-empty) events: what its last_ts moves to, at least.
int64_t max_ts(const std::vector<event>& events) {
  int64_t out = events.front().ts;
  for (const auto& e : events)
    out = std::max(out, e.ts);
  return out;
}

}  // namespace

std::vector<room_write_outcome> pg_batch_writer::write(std::span<const room_writes> batch) {
  std::vector<room_write_outcome> out;
  auto fail_all = [&](const error& err) {
    for (auto& o : out)
      o = room_write_outcome{err.code, err.message, {}};
  };
  try {
    out.resize(batch.size());
    if (batch.empty())
      return out;
    auto st = conn_.run("pg: write", [&](pqxx::connection_base& c) -> status {
      std::fill(out.begin(), out.end(), room_write_outcome{});  // a retry starts over
      std::vector<size_t> fit;  // the rooms whose writes are well-formed
      for (size_t i = 0; i < batch.size(); ++i) {
        if (auto bad = precheck(batch[i]))
          out[i] = {errc::internal, "room " + batch[i].room + ": " + *bad, {}};
        else
          fit.push_back(i);
      }
      if (fit.empty() || fast_path(c, batch, fit))
        return {};
      pqxx::work tx{c};
      for (auto i : fit)
        write_room(tx, batch[i], out[i]);
      tx.commit();
      return {};
    });
    if (st) {
      // Not one room's conflict but the transaction's failure: nothing is written (in_doubt:
      // nobody knows), and every room says so.
      if (st.code != errc::internal && st.code != errc::in_doubt)
        st.code = errc::unavailable;
      fail_all(st);
    }
  } catch (const std::exception& e) {
    fail_all(error{errc::internal, std::string{"pg: write: "} + e.what()});
  } catch (...) {
    fail_all(error{errc::internal, "pg: write: unknown exception"});
  }
  return out;
}

std::optional<std::string> pg_batch_writer::precheck(const room_writes& w) const {
  // The caller's promises, checked before any SQL: a broken batch is a bug upstream.
  for (size_t i = 0; i < w.events.size(); ++i) {
    const auto& e = w.events[i];
    if (e.seq != w.events.front().seq + static_cast<int64_t>(i))
      return std::string{"events are not contiguous"};
    if (!e.room.empty() && e.room != w.room)
      return "event of room " + e.room + " in batch";
  }
  return unstorable(w);
}

bool pg_batch_writer::fast_path(pqxx::connection_base& c, std::span<const room_writes> batch,
                                const std::vector<size_t>& fit) {
  if (mode_ != pg_insert_mode::copy)
    return false;
  std::vector<std::string> heads, quiet_rooms, reads;
  std::vector<const room_writes*> membership;
  size_t moving = 0, quiet = 0, markers = 0, changes = 0;
  for (auto i : fit) {
    const auto& w = batch[i];
    if (w.events.empty()) {
      quiet_rooms.push_back(w.room);  // no events: it must exist all the same
      ++quiet;
    } else {
      heads.push_back(w.room);
      heads.push_back(std::to_string(w.events.front().seq - 1));
      heads.push_back(std::to_string(w.events.back().seq));
      heads.push_back(std::to_string(max_ts(w.events)));
      ++moving;
    }
    for (const auto& m : w.reads) {
      reads.push_back(w.room);
      reads.push_back(m.user);
      reads.push_back(std::to_string(m.seq));
      ++markers;
    }
    if (!w.members.empty()) {
      membership.push_back(&w);
      changes += w.members.size();
    }
  }
  if (moving + quiet + markers + changes > max_rows_per_insert)
    return false;  // too many parameters for one statement: the careful path copes
  if (!membership.empty()) {
    // Net effects are per room_writes: a room named twice in the batch with membership
    // changes must see them in batch order, which only the careful path keeps.
    std::unordered_map<std::string_view, int> times;
    for (auto i : fit)
      ++times[batch[i].room];
    for (const auto* w : membership)
      if (times[w->room] > 1)
        return false;
  }
  pqxx::work tx{c};
  try {
    if (moving > 0) {
      auto r = tx.exec_params(pg::advance_heads_sql(moving),
                              pqxx::prepare::make_dynamic_params(heads));
      if (r.affected_rows() != moving)
        return false;  // a head moved or a room is missing
    }
    if (quiet > 0) {
      auto r = tx.exec_params1(pg::count_rooms_sql(quiet),
                               pqxx::prepare::make_dynamic_params(quiet_rooms));
      if (r[0].as<size_t>() != quiet)
        return false;
    }
    if (moving > 0) {
      pqxx::stream_to copy{tx, "events"};
      for (auto i : fit)
        for (const auto& e : batch[i].events) {
          const std::string kind{to_string(e.kind)};
          const char* cid = e.cid.empty() ? nullptr : e.cid.c_str();
          copy << std::tie(batch[i].room, e.seq, kind, e.sender, cid, e.body, e.subtype,
                           e.target, e.meta, e.ts);
        }
      copy.complete();
    }
    if (markers > 0)
      tx.exec_params0(pg::mark_reads_sql(markers), pqxx::prepare::make_dynamic_params(reads));
    // Last, as on the careful path (and in SQLite): after every room's events and markers.
    change_members(tx, membership);
  } catch (const pqxx::sql_error& e) {
    // What a single room can be refused for: a unique key (a cid or seq taken), a value
    // PostgreSQL rejects, a row locked by another writer. The careful path says which room.
    auto state = e.sqlstate();
    if (state == "23505" || state.starts_with("22") || state == "55P03" || state == "40P01")
      return false;
    throw;
  }
  tx.commit();
  return true;
}

void pg_batch_writer::write_room(pqxx::transaction_base& tx, const room_writes& w,
                                 room_write_outcome& out) {
  // A savepoint of our own rather than pqxx::subtransaction: libpqxx 6.4 sends a
  // subtransaction's SAVEPOINT lazily, and exec_prepared() does not trigger it, so the
  // room's first statements would run outside the savepoint.
  tx.exec0("SAVEPOINT room_write");
  room_result r;
  try {
    apply_room(tx, w, r);
  } catch (const pqxx::sql_error& e) {
    // A unique key refused the room's events (COPY stops at the first clash, and so does a
    // multi-row INSERT), PostgreSQL refused one of its values (class 22, e.g. text that is
    // not UTF-8), or its row stayed locked: the room's outcome, not the batch's. The
    // rollback to the savepoint below undoes all of the room's writes either way.
    auto state = e.sqlstate();
    if (state == "23505" && is_cid_clash(e))
      r = {errc::conflict, "room " + w.room + ": a (sender, cid) of the batch is stored", true};
    else if (state == "23505")
      r = {errc::conflict,
           "room " + w.room + ": a seq in [" + std::to_string(w.events.front().seq) + ", "
             + std::to_string(w.events.back().seq) + "] is taken",
           false};
    else if (state.starts_with("22"))
      r = {errc::internal, "room " + w.room + ": " + first_line(e.what()), false};
    else if (state == "55P03" || state == "40P01")
      // Another transaction holds the room's row (a second node writing it): this room
      // waited its lock_timeout, the other rooms need not fail with it.
      r = {errc::unavailable, "room " + w.room + ": " + first_line(e.what()), false};
    else
      throw;
  }
  if (r.code == errc::ok) {
    tx.exec0("RELEASE SAVEPOINT room_write");
    return;
  }
  tx.exec0("ROLLBACK TO SAVEPOINT room_write");
  tx.exec0("RELEASE SAVEPOINT room_write");
  out.code = r.code;
  out.message = std::move(r.message);
  if (r.duplicate_cid)
    find_duplicates(tx, w, out.duplicates);
}

void pg_batch_writer::apply_room(pqxx::transaction_base& tx, const room_writes& w,
                                 room_result& r) {
  auto missing = [&] { r = {errc::not_found, "room " + w.room + " does not exist", false}; };
  int64_t head = 0;
  if (w.events.empty()) {
    auto h = tx.exec_prepared(pg::name(pg::room_head), w.room);
    if (h.empty())
      return missing();
    head = h[0][0].as<int64_t>();
  } else {
    // The head check comes before the inserts, as in SQLite, and moves the head in the same
    // statement; the rollback to the savepoint takes it back if an insert fails.
    auto first = w.events.front().seq;
    auto last = w.events.back().seq;
    auto moved = tx.exec_prepared(pg::name(pg::advance_head), w.room, first - 1, last,
                                  max_ts(w.events));
    if (moved.affected_rows() == 0) {
      auto h = tx.exec_prepared(pg::name(pg::room_head), w.room);
      if (h.empty())
        return missing();
      r = {errc::conflict,
           "room " + w.room + ": head is " + h[0][0].c_str() + ", first seq is "
             + std::to_string(first),
           false};
      return;
    }
    if (mode_ == pg_insert_mode::copy)
      insert_copy(tx, w);
    else
      insert_multirow(tx, w);
    head = last;
  }
  mark_read(tx, w, head);
  const room_writes* self = &w;
  change_members(tx, std::span{&self, 1});
}

void pg_batch_writer::insert_multirow(pqxx::transaction_base& tx, const room_writes& w) {
  std::vector<std::optional<std::string>> params;
  for (size_t i = 0; i < w.events.size(); i += max_rows_per_insert) {
    auto rows = std::min(max_rows_per_insert, w.events.size() - i);
    params.clear();
    params.reserve(9 * rows);
    for (size_t j = 0; j < rows; ++j)
      pg::event_params(w.events[i + j], params);
    tx.exec_params0(pg::insert_events_sql(rows), w.room,
                     pqxx::prepare::make_dynamic_params(params));
  }
}

void pg_batch_writer::insert_copy(pqxx::transaction_base& tx, const room_writes& w) {
  // All columns in the table's order (0001_init.sql): the column-list constructor of
  // libpqxx 6.4's streams is not to be trusted (TOOLCHAIN.md, pitfalls).
  pqxx::stream_to copy{tx, "events"};
  for (const auto& e : w.events) {
    const std::string kind{to_string(e.kind)};
    const char* cid = e.cid.empty() ? nullptr : e.cid.c_str();  // NULL: never collides
    copy << std::tie(w.room, e.seq, kind, e.sender, cid, e.body, e.subtype, e.target, e.meta,
                     e.ts);
  }
  copy.complete();  // a unique violation surfaces here, at the end of the COPY
}

void pg_batch_writer::mark_read(pqxx::transaction_base& tx, const room_writes& w,
                                int64_t head) {
  if (w.reads.empty())
    return;
  // One statement for all of the room's markers (members only: others match no row). A
  // user named twice keeps the larger seq, which is what applying them in turn would give.
  std::vector<std::pair<std::string, int64_t>> users;
  for (const auto& m : w.reads) {
    auto u = std::find_if(users.begin(), users.end(),
                          [&](const auto& x) { return x.first == m.user; });
    if (u == users.end())
      users.emplace_back(m.user, m.seq);
    else
      u->second = std::max(u->second, m.seq);
  }
  std::vector<std::string> params;
  params.reserve(2 * users.size());
  for (const auto& [user, seq] : users) {
    params.push_back(user);
    params.push_back(std::to_string(seq));
  }
  tx.exec_params0(pg::mark_read_sql(users.size()), w.room, head,
                   pqxx::prepare::make_dynamic_params(params));
}

void pg_batch_writer::change_members(pqxx::transaction_base& tx,
                                     std::span<const room_writes* const> rooms) {
  // SQLite applies the changes one after the other; here a few statements apply their net
  // effect, which is the same. Per (room, user), in order: a removal deletes the member and
  // forgets any addition before it; an addition counts only if none is pending since the
  // last removal (a later one would find the user a member already). So the net effect is
  // a removal, an addition if not a member, or both in that order (removed, then added
  // anew). Every added user gets a row in `users`, even one removed again later.
  std::vector<std::string> users, removals, additions;
  std::unordered_set<std::string_view> known_users;
  for (const auto* w : rooms) {
    struct net {
      bool remove = false;
      const member_change* add = nullptr;
    };
    std::unordered_map<std::string_view, net> by_user;
    std::vector<std::string_view> order;  // first appearance, for a stable statement
    for (const auto& c : w->members) {
      auto [it, fresh] = by_user.try_emplace(c.user);
      if (fresh)
        order.push_back(c.user);
      if (!c.added) {
        it->second = net{true, nullptr};
        continue;
      }
      if (known_users.insert(c.user).second)
        users.push_back(c.user);
      if (it->second.add == nullptr)
        it->second.add = &c;
    }
    for (auto user : order) {
      const auto& n = by_user[user];
      if (n.remove) {
        removals.push_back(w->room);
        removals.emplace_back(user);
      }
      if (n.add != nullptr) {
        additions.push_back(w->room);
        additions.emplace_back(user);
        additions.emplace_back(n.add->role == member_role::admin ? "admin" : "member");
        additions.push_back(std::to_string(n.add->at));
      }
    }
  }
  // Removals before additions: a (room, user) that has both is removed, then added anew.
  pg::exec_rows(tx, users, 1, pg::insert_users_sql);
  pg::exec_rows(tx, removals, 2, pg::remove_members_sql);
  pg::exec_rows(tx, additions, 4, pg::add_members_sql);
}

void pg_batch_writer::find_duplicates(pqxx::transaction_base& tx, const room_writes& w,
                                      std::vector<event>& out) {
  // Called after the rollback to the savepoint: what it finds was stored before this batch.
  for (const auto& e : w.events) {
    if (e.cid.empty())
      continue;
    auto rows = tx.exec_prepared(pg::name(pg::find_message), w.room, e.sender, e.cid);
    if (rows.empty())
      continue;  // e.g. the batch itself repeated a cid
    event original;
    if (!pg::read_event(rows[0], original))
      throw std::runtime_error{"unknown event kind in room " + w.room};
    if (std::none_of(out.begin(), out.end(),
                     [&](const event& x) { return x.seq == original.seq; }))
      out.push_back(std::move(original));
  }
}

}  // namespace parley::storage::detail
