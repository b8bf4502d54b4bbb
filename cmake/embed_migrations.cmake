# Writes OUT, a C++ file defining parley::storage::embedded_migrations(): one entry per
# migration file NNNN_name.sql in FILES (sorted), with its number and SQL text.
set(body "")
foreach(f ${FILES})
  get_filename_component(name ${f} NAME)
  string(REGEX MATCH "^[0-9]+" num ${name})
  math(EXPR num "${num} + 0")
  file(READ ${f} sql)
  string(APPEND body "    {${num}, \"${name}\", R\"parley_sql(${sql})parley_sql\"},\n")
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
