#include "storage/migrations.hpp"

namespace parley::storage {

std::vector<migration> migrations_for(std::string_view dialect) {
  std::vector<migration> out;
  for (const auto& m : embedded_migrations())
    if (m.dialect.empty() || m.dialect == dialect)
      out.push_back(m);
  return out;
}

std::vector<std::string> split_sql_statements(std::string_view sql) {
  std::vector<std::string> out;
  std::string current;
  bool in_string = false;
  for (size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (!in_string && c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      while (i < sql.size() && sql[i] != '\n')
        ++i;
      current += '\n';
      continue;
    }
    if (c == '\'')
      in_string = !in_string;
    if (c == ';' && !in_string) {
      if (current.find_first_not_of(" \t\r\n") != std::string::npos)
        out.push_back(std::move(current));
      current.clear();
      continue;
    }
    current += c;
  }
  if (current.find_first_not_of(" \t\r\n") != std::string::npos)
    out.push_back(std::move(current));
  return out;
}

}  // namespace parley::storage
