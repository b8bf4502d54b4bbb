// The CAF unit-test engine and main(): exactly one translation unit of the test binary.
#include "caf/test/unit_test_impl.hpp"
