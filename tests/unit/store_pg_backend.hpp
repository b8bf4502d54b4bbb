#pragma once

// The PostgreSQL backends of the store tests. Include after CAF's unit_test.hpp.
//
// The server comes from the CTest fixture `pg` (scripts/pg-throwaway.sh), which passes its
// URL in PARLEY_TEST_PG_URL. Each test gets a schema of its own in that database, created
// empty and dropped afterwards; the stores reach it through search_path, set by the
// connection's `options`, so the store code runs unchanged and a test costs milliseconds.

#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <memory>
#include <string>

#include <pqxx/connection>
#include <pqxx/nontransaction>

#include "storage/pg_store.hpp"
#include "storage/store.hpp"
#include "unit/store_conformance_fixture.hpp"

namespace parley::storage::testing {

/// The shared server's URL; fails the test when the fixture did not provide one (a missing
/// server must fail the PostgreSQL tests, not skip them).
inline std::string pg_test_url() {
  const char* url = std::getenv("PARLEY_TEST_PG_URL");
  if (url == nullptr || *url == '\0')
    CAF_FAIL("PARLEY_TEST_PG_URL is not set: run under ctest (fixture pg) or set it to the URL "
             "that scripts/pg-throwaway.sh start prints");
  return url;
}

/// `url` with one more query parameter (`value` percent-encoded where libpq needs it).
inline std::string with_param(const std::string& url, const std::string& key,
                              const std::string& value) {
  std::string encoded;
  for (char c : value) {
    if (c == ' ' || c == '=' || c == '&' || c == '%' || c == '#') {
      static const char hex[] = "0123456789ABCDEF";
      encoded += '%';
      encoded += hex[(static_cast<unsigned char>(c) >> 4) & 0xf];
      encoded += hex[static_cast<unsigned char>(c) & 0xf];
    } else {
      encoded += c;
    }
  }
  auto sep = url.find('?') == std::string::npos ? '?' : '&';
  return url + sep + key + "=" + encoded;
}

/// A schema of its own for one test; `url()` reaches the shared database with that schema
/// first (and only) in search_path. `admin` is a plain libpqxx connection for the tests
/// that need to do what the store cannot (terminate a backend, take a lock).
struct pg_schema {
  pg_schema() : base(pg_test_url()) {
    static int counter = 0;
    name = "t_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    // CAF's runner does not catch a driver's exceptions (they would abort the binary and
    // the tests after this one): turn them into a failure of this test.
    try {
      admin = std::make_unique<pqxx::connection>(base);
      pqxx::nontransaction tx{*admin};
      tx.exec("DROP SCHEMA IF EXISTS " + name + " CASCADE; CREATE SCHEMA " + name);
    } catch (const std::exception& e) {
      CAF_FAIL("cannot set up schema " << name << " at " << base << ": " << e.what());
    }
  }

  ~pg_schema() {
    try {
      if (admin) {
        pqxx::nontransaction tx{*admin};
        tx.exec("DROP SCHEMA IF EXISTS " + name + " CASCADE");
      }
    } catch (...) {
      // The server went away: the throwaway database goes with it.
    }
  }

  pg_schema(const pg_schema&) = delete;
  pg_schema& operator=(const pg_schema&) = delete;

  std::string url() const {
    return with_param(base, "options", "-c search_path=" + name);
  }

  /// Runs SQL on the admin connection with this schema first in search_path.
  pqxx::result admin_exec(const std::string& sql) {
    try {
      pqxx::nontransaction tx{*admin};
      tx.exec("SET search_path = " + name);
      return tx.exec(sql);
    } catch (const std::exception& e) {
      CAF_FAIL("admin: " << sql << ": " << e.what());
    }
    return {};
  }

  std::string base;
  std::string name;
  std::unique_ptr<pqxx::connection> admin;
};

inline std::unique_ptr<store> migrated(std::unique_ptr<store> s) {
  auto st = s->migrate();
  CAF_REQUIRE_EQUAL(st.message, "");
  return s;
}

/// Stores opened through open_store, as the broker opens them (default insert mode).
struct pg_backend : pg_schema {
  store_factory connector() {
    return [this] {
      auto s = open_store(url());
      if (!s)
        CAF_FAIL("open_store(" << url() << "): " << s.err().message);
      return migrated(std::move(s).value());
    };
  }
};

/// Stores with an explicit insert mode, so both of write()'s paths meet the suite.
template <pg_insert_mode Mode>
struct pg_mode_backend : pg_schema {
  store_factory connector() {
    return [this]() -> std::unique_ptr<store> {
      auto s = pg_store::open(url(), Mode);
      if (!s)
        CAF_FAIL("pg_store::open(" << url() << "): " << s.err().message);
      return migrated(std::move(s).value());
    };
  }
};

}  // namespace parley::storage::testing
