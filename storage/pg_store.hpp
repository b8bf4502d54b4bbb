#pragma once

#include <memory>
#include <string>

#include "storage/store.hpp"

namespace parley::storage {

namespace detail {
class pg_connection;
}

/// How write() puts a room's events into `events`: one multi-row INSERT per room, or COPY
/// (stream_to). Both give the same results; they differ only in speed (see pg_store.cpp).
enum class pg_insert_mode { multirow, copy };

/// PARLEY_PG_INSERT=copy|multirow when set, else COPY, the faster of the two as measured.
pg_insert_mode default_pg_insert_mode();

/// The production store: PostgreSQL through libpqxx. Each object is one connection, used by
/// one thread at a time (the writer and each reader own one), with its statements prepared
/// once per connection. A broken connection is replaced on the next call, which fails fast
/// with `unavailable` while the server is down; no call blocks for more than a few seconds
/// (connect, statement and lock timeouts). Durability: synchronous_commit as the server has
/// it (on by default), so a returned commit is on disk.
class pg_store : public store {
public:
  /// `conninfo`: a postgresql:// (or postgres://) URL or libpq keyword=value pairs. Connects
  /// once; a failure is kept in open_status(), and later calls try again. Does not migrate.
  explicit pg_store(const std::string& conninfo, pg_insert_mode mode = default_pg_insert_mode());
  ~pg_store() override;

  /// The constructor, with its failure (server unreachable, bad URL) as a value.
  static result<std::unique_ptr<pg_store>> open(const std::string& conninfo,
                                                pg_insert_mode mode = default_pg_insert_mode());

  const status& open_status() const { return open_status_; }
  pg_insert_mode insert_mode() const { return mode_; }

  /// The server process of the current connection, 0 when there is none (tests use it).
  int backend_pid() const;

  status migrate() override;
  result<int> schema_version() override;
  status ping() override;
  status create_room(const room_record& room) override;
  result<std::optional<room_record>> load_room(std::string_view room) override;
  result<std::vector<event>> events_after(std::string_view room, int64_t after,
                                          int64_t limit) override;
  result<std::vector<event>> recent_events(std::string_view room, int64_t limit) override;
  result<history_page> history(const history_query& q) override;
  result<std::optional<event>> find_message(std::string_view room, std::string_view sender,
                                            std::string_view cid) override;
  std::vector<room_write_outcome> write(std::span<const room_writes> batch) override;
  result<std::vector<room_summary>> rooms_of(std::string_view user, int64_t limit) override;
  result<std::vector<room_summary>>
  room_summaries(std::string_view room, std::span<const std::string> users) override;
  status set_last_seen(std::span<const user_seen> seen) override;
  result<std::vector<user_seen>> last_seen(std::span<const std::string> users) override;

private:
  status open_status_;
  pg_insert_mode mode_;
  std::unique_ptr<detail::pg_connection> conn_;
};

}  // namespace parley::storage
