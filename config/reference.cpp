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

}  // namespace parley::config
