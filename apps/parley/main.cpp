// parley: the broker's command line (DESIGN.md "Command line and configuration").
#include <cstdio>
#include <string>
#include <vector>

#include "commands.hpp"
#include "config/reference.hpp"

namespace {

void usage(FILE* out) {
  std::fputs(
    "usage:\n"
    "  parley serve   [--config FILE] [--listen HOST:PORT] [--store URL] [--jwt-secret S]\n"
    "                 [--api-key K]... [--dev-tokens] [--node NAME] [--log-level LEVEL] ...\n"
    "  parley migrate [--store URL]\n"
    "  parley token   --user ID [--name NAME] [--ttl SECONDS]\n"
    "  parley version\n"
    "  parley settings                              # configuration reference (Markdown)\n"
    "Every flag has a PARLEY_* environment variable and a TOML key; see docs/operations.md.\n",
    out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  std::string cmd = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  for (auto& a : args)
    if (a == "--help" || a == "-h") {  // `parley serve --help`: usage and every setting
      usage(stdout);
      if (cmd == "serve" || cmd == "migrate")
        std::printf("\nsettings (flag, environment variable, TOML key):\n%s",
                    parley::config::settings_reference_text().c_str());
      return 0;
    }
  if (cmd == "serve")
    return parley::app::serve(args);
  if (cmd == "migrate")
    return parley::app::migrate(args);
  if (cmd == "token")
    return parley::app::token(args);
  if (cmd == "version" || cmd == "--version") {
    std::printf("parley %s\n", PARLEY_VERSION);
    return 0;
  }
  if (cmd == "settings") {  // the configuration reference, as Markdown
    std::fputs(parley::config::settings_reference_markdown().c_str(), stdout);
    return 0;
  }
  if (cmd == "help" || cmd == "--help" || cmd == "-h") {
    usage(stdout);
    return 0;
  }
  std::fprintf(stderr, "parley: unknown command '%s'\n", cmd.c_str());
  usage(stderr);
  return 2;
}
