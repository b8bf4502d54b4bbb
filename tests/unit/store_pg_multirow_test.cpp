#define CAF_SUITE store_pg_multirow
#include "caf/test/unit_test.hpp"

#include "storage/pg_store.hpp"
#include "unit/store_pg_backend.hpp"

// The conformance suite once more, with write() putting events in by multi-row INSERT, the
// insert mode that is not the default (store_pg runs the default, COPY, through open_store).
namespace {
using store_pg_multirow_backend =
  parley::storage::testing::pg_mode_backend<parley::storage::pg_insert_mode::multirow>;
}  // namespace

#define PARLEY_STORE_BACKEND store_pg_multirow_backend
#include "unit/store_conformance.hpp"
