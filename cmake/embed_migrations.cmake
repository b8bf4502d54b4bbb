# Writes OUT, a C++ file defining parley::storage::embedded_migrations(): one entry per
# migration file in FILES (sorted), with its number, dialect and SQL text. NNNN_name.sql
# applies to both stores; NNNN_name.sqlite.sql and NNNN_name.pg.sql to one each (a
# number with dialect files has one for each, so both stores reach the same version).
set(body "")
foreach(f ${FILES})
  get_filename_component(name ${f} NAME)
  string(REGEX MATCH "^[0-9]+" num ${name})
  math(EXPR num "${num} + 0")
  set(dialect "")
  if(name MATCHES "\\.(sqlite|pg)\\.sql$")
    set(dialect ${CMAKE_MATCH_1})
  endif()
  file(READ ${f} sql)
  string(APPEND body "    {${num}, \"${name}\", \"${dialect}\", R\"parley_sql(${sql})parley_sql\"},\n")
endforeach()
file(WRITE ${OUT}.tmp "// Generated from storage/migrations/*.sql by cmake/embed_migrations.cmake.
#include \"storage/migrations.hpp\"

namespace parley::storage {

std::span<const migration> embedded_migrations() {
  static const migration all[] = {
${body}  };
  return all;
}

}  // namespace parley::storage
")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUT}.tmp ${OUT})
