#pragma once

#include <string>
#include <utility>
#include <variant>

namespace parley::storage {

/// What can go wrong in a store, as a value. Stores catch their drivers' exceptions and
/// translate them; nothing above storage/ sees SQLite or libpqxx errors.
enum class errc {
  ok = 0,
  not_found,    ///< The row (room, message) does not exist.
  conflict,     ///< A unique key refused the write: room exists, seq taken, cid stored.
  unavailable,  ///< The database cannot be reached or refused the work; retry later.
  in_doubt,     ///< The commit's outcome is unknown; re-read before trusting either way.
  internal,     ///< A bug or corrupt data; retrying will not help.
};

const char* to_string(errc code);

struct error {
  errc code = errc::ok;
  std::string message;

  bool ok() const { return code == errc::ok; }
  explicit operator bool() const { return !ok(); }  ///< true when this IS an error.
};

/// Success with no value, or an error.
using status = error;

/// A value or an error (std::expected arrives only with C++23).
template <class T>
class result {
public:
  result(T value) : v_(std::move(value)) {}
  result(error e) : v_(std::move(e)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }

  const error& err() const { return std::get<1>(v_); }

private:
  std::variant<T, error> v_;
};

}  // namespace parley::storage
