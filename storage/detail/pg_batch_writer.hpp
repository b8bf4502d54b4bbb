#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "storage/pg_store.hpp"
#include "storage/types.hpp"

namespace pqxx {
class connection_base;
class transaction_base;
}

namespace parley::storage::detail {

class pg_connection;

/// The group commit of the PostgreSQL store (store::write): one transaction and one commit
/// for the whole batch. First a fast path of a few batch-wide statements, whatever the number
/// of rooms (each room costs round trips, and a batch under load holds hundreds of rooms);
/// if any room is refused there, the batch runs again on the careful path, each room's
/// writes in a savepoint, so that one room's conflict costs the other rooms nothing and
/// every room gets its precise outcome. Mirrors sqlite_batch_writer: the same checks in the
/// same order, the same outcomes. Membership changes go both ways: batch-wide statements on
/// the fast path, the room's own (in its savepoint) on the careful one.
class pg_batch_writer {
public:
  pg_batch_writer(pg_connection& conn, pg_insert_mode mode) : conn_(conn), mode_(mode) {}

  /// See store::write. Never throws.
  std::vector<room_write_outcome> write(std::span<const room_writes> batch);

private:
  /// What one room's writes came to inside the batch transaction.
  struct room_result {
    errc code = errc::ok;
    std::string message;
    bool duplicate_cid = false;
  };

  /// A reason the caller's batch for this room is broken (a bug upstream), if any.
  std::optional<std::string> precheck(const room_writes& w) const;

  /// The whole batch (rooms `fit`) in a few statements; false, with nothing written, if any
  /// room was refused (the careful path then finds which and why). Throws for failures of
  /// the connection or the commit.
  bool fast_path(pqxx::connection_base& c, std::span<const room_writes> batch,
                 const std::vector<size_t>& fit);

  // These throw (libpqxx) for failures of the transaction, which fail the whole batch; a
  // room's own conflicts end up in its outcome instead.
  void write_room(pqxx::transaction_base& tx, const room_writes& w, room_write_outcome& out);
  void apply_room(pqxx::transaction_base& tx, const room_writes& w, room_result& r);
  void insert_multirow(pqxx::transaction_base& tx, const room_writes& w);
  void insert_copy(pqxx::transaction_base& tx, const room_writes& w);
  void mark_read(pqxx::transaction_base& tx, const room_writes& w, int64_t head);
  /// The membership changes of `rooms` (one room on the careful path, all on the fast path).
  void change_members(pqxx::transaction_base& tx, std::span<const room_writes* const> rooms);
  void find_duplicates(pqxx::transaction_base& tx, const room_writes& w,
                       std::vector<event>& out);

  pg_connection& conn_;
  pg_insert_mode mode_;
};

}  // namespace parley::storage::detail
