#include "storage/detail/pg_connection.hpp"

#include <libpq-fe.h>
#include <pqxx/connection>
#include <pqxx/errorhandler>
#include <pqxx/nontransaction>

#include <set>

#include "storage/detail/pg_error.hpp"
#include "storage/detail/pg_queries.hpp"

namespace parley::storage::detail {

namespace {

/// Per session: no statement runs longer than 5 s (a stuck query becomes `unavailable` while
/// the caller can still answer its clients), no lock is waited for longer than 2 s (two
/// writers of one room: the later one gives up instead of queueing), and a server configured
/// with synchronous_commit=off is overruled, since an acked write must survive a crash
/// (stronger settings such as remote_apply are left alone).
constexpr const char* session_setup =
  "SET statement_timeout = 5000; SET lock_timeout = 2000; "
  "SELECT set_config('synchronous_commit', 'on', false) "
  "WHERE current_setting('synchronous_commit') = 'off'";

/// Defaults for options the caller did not set (see pg_conninfo).
constexpr std::pair<const char*, const char*> defaults[] = {
  {"connect_timeout", "2"},  // libpq's minimum: a down host costs 2 s, not the TCP timeout
  {"keepalives", "1"},
  {"keepalives_idle", "5"},
  {"keepalives_interval", "2"},
  {"keepalives_count", "2"},
  {"tcp_user_timeout", "5000"},
  {"client_encoding", "UTF8"},
  {"application_name", "parley"},
};

void append_option(std::string& out, const char* key, const char* value) {
  if (!out.empty())
    out += ' ';
  out += key;
  out += "='";
  for (const char* c = value; *c != '\0'; ++c) {
    if (*c == '\'' || *c == '\\')
      out += '\\';
    out += *c;
  }
  out += '\'';
}

}  // namespace

result<std::string> pg_conninfo(const std::string& conninfo) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
  if (opts == nullptr) {
    std::string msg = err != nullptr ? err : "out of memory";
    PQfreemem(err);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' '))
      msg.pop_back();
    return error{errc::internal, "pg: bad connection string: " + msg};
  }
  std::string out;
  std::set<std::string> given;
  for (auto* o = opts; o->keyword != nullptr; ++o) {
    if (o->val == nullptr)  // PQconninfoParse leaves what the string does not set NULL
      continue;
    append_option(out, o->keyword, o->val);
    given.insert(o->keyword);
  }
  PQconninfoFree(opts);
  for (const auto& [key, value] : defaults)
    if (!given.contains(key))
      append_option(out, key, value);
  return out;
}

/// A connection with a quiet error handler: libpqxx prints server notices and its own
/// warnings (e.g. "connection lost while committing") to stderr; the store reports through
/// its return values instead. Members in this order so the handler goes first.
struct pg_connection::session {
  explicit session(const std::string& conninfo) : conn(conninfo) {}
  pqxx::connection conn;
  pqxx::quiet_errorhandler quiet{conn};
};

pg_connection::pg_connection(const std::string& conninfo) {
  auto normalized = pg_conninfo(conninfo);
  if (normalized)
    conninfo_ = std::move(normalized).value();
  else
    config_ = normalized.err();
}

pg_connection::~pg_connection() = default;

bool pg_connection::is_open() const noexcept {
  return session_ != nullptr && session_->conn.is_open();
}

int pg_connection::backend_pid() const noexcept {
  return is_open() ? session_->conn.backendpid() : 0;
}

pqxx::connection_base& pg_connection::handle() {
  return session_->conn;
}

status pg_connection::connect() {
  if (config_)
    return config_;
  if (is_open())
    return {};
  session_.reset();
  try {
    auto s = std::make_unique<session>(conninfo_);
    {
      pqxx::nontransaction tx{s->conn};
      tx.exec(session_setup);
    }
    for (const auto& st : pg::statements)
      s->conn.prepare(st.name, st.sql);
    session_ = std::move(s);
    return {};
  } catch (...) {
    auto err = pg_current_error("pg: connect");
    // Refused or unreachable, the next call may succeed; only our own bugs stay internal.
    if (err.code != errc::internal)
      err.code = errc::unavailable;
    return err;
  }
}

error pg_connection::failure(std::string_view what, bool& lost) noexcept {
  auto err = pg_current_error(what);
  lost = session_ == nullptr || !session_->conn.is_open();
  if (lost) {
    session_.reset();
    if (err.code != errc::in_doubt)
      err.code = errc::unavailable;
  }
  return err;
}

}  // namespace parley::storage::detail
