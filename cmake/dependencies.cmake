# Imported targets for every dependency; all come from Debian 12 packages (scripts/install-deps.sh).
find_package(Threads REQUIRED)

# CAF 0.17.6 ships neither a CMake config nor a pkg-config file.
find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
find_library(CAF_CORE_LIBRARY caf_core REQUIRED)
find_library(CAF_IO_LIBRARY caf_io REQUIRED)
add_library(CAF::core SHARED IMPORTED)
set_target_properties(CAF::core PROPERTIES
  IMPORTED_LOCATION "${CAF_CORE_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
  INTERFACE_LINK_LIBRARIES Threads::Threads)
add_library(CAF::io SHARED IMPORTED)
set_target_properties(CAF::io PROPERTIES
  IMPORTED_LOCATION "${CAF_IO_LIBRARY}" INTERFACE_LINK_LIBRARIES CAF::core)

find_package(Boost 1.81 CONFIG REQUIRED COMPONENTS json system)
find_package(spdlog CONFIG REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(TOMLPP REQUIRED IMPORTED_TARGET tomlplusplus)
pkg_check_modules(LIBJWT REQUIRED IMPORTED_TARGET libjwt)
# libpqxx 6.4 ships no CMake config. Its installed headers lack PQXX_HAVE_OPTIONAL, without
# which NULL -> std::optional throws and std::optional parameters do not compile; no exported
# symbol uses optional, so every user of the target defines it (TOOLCHAIN.md, pitfalls).
pkg_check_modules(PQXX REQUIRED IMPORTED_TARGET libpqxx)
set_property(TARGET PkgConfig::PQXX APPEND PROPERTY
  INTERFACE_COMPILE_DEFINITIONS PQXX_HAVE_OPTIONAL=1)
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)  # PQconninfoParse

# msgpack-cxx is unpacked from its .deb into third_party/ (see scripts/install-deps.sh).
set(MSGPACK_ROOT "${CMAKE_SOURCE_DIR}/third_party/msgpack-cxx/usr/include")
if(NOT EXISTS "${MSGPACK_ROOT}/msgpack.hpp")
  message(FATAL_ERROR "msgpack-cxx not found in third_party/: run scripts/install-deps.sh")
endif()
add_library(msgpack_cxx INTERFACE)
target_include_directories(msgpack_cxx SYSTEM INTERFACE "${MSGPACK_ROOT}")
target_compile_definitions(msgpack_cxx INTERFACE MSGPACK_NO_BOOST MSGPACK_DEFAULT_API_VERSION=3)
