#include "storage/detail/pg_error.hpp"

#include <pqxx/except>

#include <exception>
#include <string>

namespace parley::storage::detail {

errc pg_errc(std::string_view s) {
  if (s.size() != 5)
    return errc::internal;
  auto cls = s.substr(0, 2);
  if (cls == "08" || cls == "53")
    return errc::unavailable;
  if (s == "57P01" || s == "57P02" || s == "57P03" || s == "57014" || s == "55P03"
      || s == "40001" || s == "40P01" || s == "25006")
    return errc::unavailable;
  if (s == "23505" || s == "23P01")
    return errc::conflict;
  if (s == "40003")
    return errc::in_doubt;
  return errc::internal;
}

namespace {

/// libpqxx's text ends with a newline and may carry DETAIL/CONTEXT lines; keep them (they
/// name the key that clashed) but not the trailing whitespace.
std::string message(std::string_view what, const char* text) {
  std::string out{what};
  out += ": ";
  out += text;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
    out.pop_back();
  return out;
}

}  // namespace

error pg_current_error(std::string_view what) noexcept {
  try {
    try {
      throw;
    } catch (const pqxx::in_doubt_error& e) {
      return error{errc::in_doubt, message(what, e.what())};
    } catch (const pqxx::broken_connection& e) {
      return error{errc::unavailable, message(what, e.what())};
    } catch (const pqxx::sql_error& e) {
      return error{pg_errc(e.sqlstate()), message(what, e.what())};
    } catch (const std::exception& e) {
      return error{errc::internal, message(what, e.what())};
    } catch (...) {
      return error{errc::internal, message(what, "unknown exception")};
    }
  } catch (...) {  // building the message itself failed (bad_alloc)
    return error{errc::internal, {}};
  }
}

}  // namespace parley::storage::detail
