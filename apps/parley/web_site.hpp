#pragma once

#include <memory>
#include <string>

#include "net/static_site.hpp"

namespace parley::app {

/// The static site for http.web_dir: "off" → none; a directory → that directory (an error
/// when it cannot be read); empty → the web directory that comes with the binary, looked for
/// at BIN/../web (a build tree: build/web next to build/apps) and BIN/../share/parley/web (an
/// install), none when neither exists. Returns nullptr with `error` empty for "none".
std::shared_ptr<const net::static_site> load_web_site(const std::string& web_dir,
                                                      std::string& error);

}  // namespace parley::app
