#include "config/reference.hpp"

#include "config/setting_table.hpp"

namespace parley::config {

std::string settings_reference_markdown() {
  settings defaults;
  std::string out = "| TOML key | flag | environment | default | meaning |\n"
                    "|---|---|---|---|---|\n";
  for (auto& s : setting_table()) {
    auto def = s.show(defaults);
    out += "| `" + std::string{s.key} + "` | `" + std::string{s.flag} + "` | `" +
           std::string{s.env} + "` | " + (def.empty() ? std::string{"—"} : "`" + def + "`") +
           " | " + std::string{s.help} + " |\n";
  }
  return out;
}

std::string settings_reference_text() {
  settings defaults;
  std::string out;
  for (auto& s : setting_table()) {
    auto def = s.show(defaults);
    out += "  " + std::string{s.flag} + (def.empty() ? "" : " (default " + def + ")") + "  [" +
           std::string{s.env} + ", TOML " + std::string{s.key} + "]\n      " +
           std::string{s.help} + "\n";
  }
  return out;
}

}  // namespace parley::config
