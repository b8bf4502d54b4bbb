#pragma once

#include <span>
#include <string>
#include <vector>

#include "storage/detail/sqlite_connection.hpp"
#include "storage/types.hpp"

namespace parley::storage::detail {

/// The group commit of the SQLite store (store::write): one transaction and one fsync for
/// the whole batch. Written first as it comes; if any room conflicts, the transaction is
/// rolled back and the batch written again with each room's writes in a savepoint, so that
/// one room's conflict costs the other rooms nothing. A room's membership changes come
/// after its events and read markers.
class sqlite_batch_writer {
public:
  explicit sqlite_batch_writer(sqlite_connection& conn) : conn_(conn) {}

  /// See store::write. Never throws.
  std::vector<room_write_outcome> write(std::span<const room_writes> batch);

private:
  /// What one room's writes came to inside the batch transaction.
  struct room_result {
    errc code = errc::ok;
    std::string message;
    bool duplicate_cid = false;
  };

  /// One transaction for the batch: `isolate` puts each room in a savepoint and records
  /// each room's outcome; otherwise the first room that conflicts sets `conflicted` and
  /// ends the attempt with nothing written. An error is the transaction's failure.
  status write_all(std::span<const room_writes> batch, std::vector<room_write_outcome>& out,
                   bool isolate, bool& conflicted);
  /// The caller's promises (contiguous seqs, one room); else `out` says which is broken.
  static bool promises_kept(const room_writes& w, room_write_outcome& out);
  /// An error here is the transaction's, not the room's: the whole batch fails.
  status write_room(const room_writes& w, room_write_outcome& out);
  status apply_room(const room_writes& w, room_result& r);
  status change_members(const room_writes& w);
  status find_duplicates(const room_writes& w, std::vector<event>& out);

  sqlite_connection& conn_;
};

}  // namespace parley::storage::detail
