#pragma once

#include <memory>
#include <string>

#include "storage/detail/sqlite_connection.hpp"
#include "storage/detail/sqlite_queries.hpp"
#include "storage/store.hpp"

namespace parley::storage {

/// The embedded store: one SQLite file in WAL mode, so `parley serve` needs no database
/// server. Each object is one connection with its own prepared statements; the writer and
/// each reader open their own on the same file (WAL lets readers run beside the one writer).
/// Durability: synchronous=FULL, so a returned commit survives a power cut.
class sqlite_store : public store {
public:
  /// Opens (creating file and parent directory if needed). Does not migrate. A failure is
  /// kept and returned by every call; open_status() shows it up front.
  explicit sqlite_store(const std::string& path);
  ~sqlite_store() override;

  /// The constructor, with its failure as a value.
  static result<std::unique_ptr<sqlite_store>> open(const std::string& path);

  const status& open_status() const { return open_status_; }

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
  result<std::vector<event>> select_events(detail::sql::id q, std::string_view room, int64_t a,
                                           int64_t b, int64_t limit);
  result<std::optional<room_record>> load_room_impl(std::string_view room);
  result<history_page> history_impl(const history_query& q);
  /// The page of `msgs` (as make_history_page takes them), folded from their changes.
  result<history_page> fold_page(std::string_view room, std::vector<event> msgs, bool forward,
                                 int64_t limit);
  /// The room's latest message in its current state; nullopt when it has none.
  result<std::optional<message_state>> latest_message(std::string_view room);
  /// Sets r.unread: the messages of r.room after r.read that others than `user` sent.
  status count_unread(room_summary& r, std::string_view user);
  status create_room_impl(const room_record& room);
  result<std::vector<room_summary>> rooms_of_impl(std::string_view user, int64_t limit);
  result<std::vector<room_summary>> room_summaries_impl(std::string_view room,
                                                        std::span<const std::string> users);
  status set_last_seen_impl(std::span<const user_seen> seen);
  result<std::vector<user_seen>> last_seen_impl(std::span<const std::string> users);
  status migrate_impl();

  status open_status_;
  detail::sqlite_connection conn_;
};

}  // namespace parley::storage
