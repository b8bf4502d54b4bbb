#include "storage/detail/sqlite_batch_writer.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <exception>

#include "storage/detail/sqlite_error.hpp"
#include "storage/detail/sqlite_queries.hpp"

namespace parley::storage::detail {

std::vector<room_write_outcome> sqlite_batch_writer::write(std::span<const room_writes> batch) {
  std::vector<room_write_outcome> out;
  auto fail_all = [&](const error& err) {
    for (auto& o : out)
      o = room_write_outcome{err.code, err.message, {}};
  };
  try {
    out.resize(batch.size());
    if (batch.empty())
      return out;
    // First without savepoints: nearly every batch has no conflict, and a savepoint per
    // room cost more than the room's inserts (each page a room first touches after its
    // SAVEPOINT is copied to the statement journal; four statements per room besides).
    // A batch with a conflict is rolled back whole and written again, room by room.
    bool conflicted = false;
    auto err = write_all(batch, out, false, conflicted);
    if (!err && conflicted) {
      out.assign(batch.size(), room_write_outcome{});
      err = write_all(batch, out, true, conflicted);
    }
    if (err)
      fail_all(err);
    return out;
  } catch (const std::exception& e) {
    conn_.rollback();
    fail_all(error{errc::internal, std::string{"sqlite: write: "} + e.what()});
  } catch (...) {
    conn_.rollback();
    fail_all(error{errc::internal, "sqlite: write: unknown exception"});
  }
  return out;
}

status sqlite_batch_writer::write_all(std::span<const room_writes> batch,
                                      std::vector<room_write_outcome>& out, bool isolate,
                                      bool& conflicted) {
  if (auto err = conn_.begin_write())
    return err;
  rollback_guard guard{conn_};
  for (size_t i = 0; i < batch.size(); ++i) {
    status err;
    if (isolate) {
      err = write_room(batch[i], out[i]);
    } else {
      room_result r;
      if (!promises_kept(batch[i], out[i]))
        r.code = errc::internal;
      else
        err = apply_room(batch[i], r);
      if (!err && r.code != errc::ok) {
        conflicted = true;
        return {};  // the guard rolls back; the caller writes again, room by room
      }
    }
    if (err) {
      // Not one room's conflict but the transaction's failure: nothing is written.
      if (err.code != errc::internal)
        err.code = errc::unavailable;
      return err;
    }
  }
  if (auto err = conn_.commit("sqlite: write: COMMIT"))
    return err;
  guard.dismiss();
  return {};
}

bool sqlite_batch_writer::promises_kept(const room_writes& w, room_write_outcome& out) {
  // The caller's promises, checked before any SQL: a broken batch is a bug upstream.
  for (size_t i = 0; i < w.events.size(); ++i) {
    const auto& e = w.events[i];
    if (e.seq != w.events.front().seq + static_cast<int64_t>(i)) {
      out = {errc::internal, "room " + w.room + ": events are not contiguous", {}};
      return false;
    }
    if (!e.room.empty() && e.room != w.room) {
      out = {errc::internal, "room " + w.room + ": event of room " + e.room + " in batch", {}};
      return false;
    }
  }
  return true;
}

status sqlite_batch_writer::write_room(const room_writes& w, room_write_outcome& out) {
  if (!promises_kept(w, out))
    return {};
  if (auto err = sql::run(conn_, sql::savepoint, "sqlite: write: SAVEPOINT"))
    return err;
  room_result r;
  if (auto err = apply_room(w, r))
    return err;
  if (r.code == errc::ok)
    return sql::run(conn_, sql::release, "sqlite: write: RELEASE");
  if (auto err = sql::run(conn_, sql::rollback_to, "sqlite: write: ROLLBACK TO"))
    return err;
  if (auto err = sql::run(conn_, sql::release, "sqlite: write: RELEASE"))
    return err;
  out.code = r.code;
  out.message = std::move(r.message);
  if (r.duplicate_cid)
    return find_duplicates(w, out.duplicates);
  return {};
}

status sqlite_batch_writer::apply_room(const room_writes& w, room_result& r) {
  auto conflict = [&](std::string message, bool duplicate_cid = false) {
    r = room_result{errc::conflict, std::move(message), duplicate_cid};
    return status{};
  };
  int64_t head = 0;
  {
    auto st = sql::prepare(conn_, sql::room_head);
    if (!st)
      return st.err();
    st->bind(1, w.room);
    auto rc = st->step();
    if (rc == SQLITE_DONE) {
      r = room_result{errc::not_found, "room " + w.room + " does not exist", false};
      return {};
    }
    if (rc != SQLITE_ROW)
      return conn_.fail(rc, "sqlite: write: head of " + w.room);
    head = st->int64(0);
  }
  if (!w.events.empty() && w.events.front().seq != head + 1)
    return conflict("room " + w.room + ": head is " + std::to_string(head) + ", first seq is "
                    + std::to_string(w.events.front().seq));
  std::span<const event> rest{w.events};
  while (!rest.empty()) {
    auto rows = std::min(rest.size(), sql::max_insert_rows);
    auto chunk = rest.first(rows);
    rest = rest.subspan(rows);
    auto st = sql::prepare_insert_events(conn_, rows);
    if (!st)
      return st.err();
    int at = 0;  // the parameters are numbered on, row after row
    for (const auto& e : chunk) {
      // The batch outlives this use of the statement: SQLite reads the texts in place.
      st->bind_unowned(at + 1, w.room).bind(at + 2, e.seq).bind_unowned(at + 3, to_string(e.kind));
      st->bind_unowned(at + 4, e.sender);
      if (e.cid.empty())
        st->bind_null(at + 5);  // NULLs never collide in the (room, sender, cid) index
      else
        st->bind_unowned(at + 5, e.cid);
      st->bind_unowned(at + 6, e.body).bind_unowned(at + 7, e.subtype).bind(at + 8, e.target);
      st->bind_unowned(at + 9, e.meta).bind(at + 10, e.ts);
      at += sql::insert_event_columns;
    }
    auto rc = st->step();
    // The key (room_id, seq) reports SQLITE_CONSTRAINT_PRIMARYKEY; the only unique index
    // besides it is (room_id, sender, cid). Which row clashed, find_duplicates finds out.
    if (rc == SQLITE_CONSTRAINT_UNIQUE)
      return conflict("room " + w.room + ": a cid of these events is stored", true);
    if (sqlite_errc(rc) == errc::conflict)
      return conflict("room " + w.room + ": a seq from " + std::to_string(chunk.front().seq)
                      + " to " + std::to_string(chunk.back().seq) + " is taken");
    if (rc != SQLITE_DONE)
      return conn_.fail(rc, "sqlite: write: event of " + w.room);
  }
  auto new_head = w.events.empty() ? head : w.events.back().seq;
  if (!w.events.empty()) {
    auto last_ts = std::max_element(w.events.begin(), w.events.end(),
                                    [](const event& a, const event& b) { return a.ts < b.ts; })
                     ->ts;
    auto st = sql::prepare(conn_, sql::set_head);
    if (!st)
      return st.err();
    st->bind(1, w.room).bind(2, new_head).bind(3, last_ts);
    if (auto rc = st->step(); rc != SQLITE_DONE)
      return conn_.fail(rc, "sqlite: write: head of " + w.room);
  }
  for (const auto& m : w.reads) {  // members only: the UPDATE matches no row for others
    auto st = sql::prepare(conn_, sql::mark_read);
    if (!st)
      return st.err();
    st->bind(1, w.room).bind(2, m.user).bind(3, m.seq).bind(4, new_head);
    if (auto rc = st->step(); rc != SQLITE_DONE)
      return conn_.fail(rc, "sqlite: write: read marker of " + w.room);
  }
  return change_members(w);
}

status sqlite_batch_writer::change_members(const room_writes& w) {
  // One change after the other, in order: an addition of a member and a removal of a
  // non-member match no row. (PostgreSQL applies their net effect, which comes to the same.)
  for (const auto& c : w.members) {
    if (c.added) {
      {
        auto st = sql::prepare(conn_, sql::insert_user);
        if (!st)
          return st.err();
        st->bind(1, c.user);
        if (auto rc = st->step(); rc != SQLITE_DONE)
          return conn_.fail(rc, "sqlite: write: user " + c.user + " of " + w.room);
      }
      auto st = sql::prepare(conn_, sql::add_member);
      if (!st)
        return st.err();
      st->bind(1, w.room).bind(2, c.user);
      st->bind(3, c.role == member_role::admin ? "admin" : "member").bind(4, c.at);
      if (auto rc = st->step(); rc != SQLITE_DONE)
        return conn_.fail(rc, "sqlite: write: member " + c.user + " of " + w.room);
    } else {
      auto st = sql::prepare(conn_, sql::remove_member);
      if (!st)
        return st.err();
      st->bind(1, w.room).bind(2, c.user);
      if (auto rc = st->step(); rc != SQLITE_DONE)
        return conn_.fail(rc, "sqlite: write: member " + c.user + " of " + w.room);
    }
  }
  return {};
}

status sqlite_batch_writer::find_duplicates(const room_writes& w, std::vector<event>& out) {
  // Called after the rollback to the savepoint: what it finds was stored before this batch.
  for (const auto& e : w.events) {
    if (e.cid.empty())
      continue;
    auto st = sql::prepare(conn_, sql::find_message);
    if (!st)
      return st.err();
    st->bind(1, w.room).bind(2, e.sender).bind(3, e.cid);
    auto rc = st->step();
    if (rc == SQLITE_DONE)
      continue;  // e.g. the batch itself repeated a cid
    if (rc != SQLITE_ROW)
      return conn_.fail(rc, "sqlite: write: duplicates of " + w.room);
    event original;
    if (!sql::read_event(*st, original))
      return error{errc::internal, "sqlite: unknown event kind in room " + w.room};
    if (std::none_of(out.begin(), out.end(),
                     [&](const event& x) { return x.seq == original.seq; }))
      out.push_back(std::move(original));
  }
  return {};
}

}  // namespace parley::storage::detail
