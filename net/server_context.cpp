#include "net/server_context.hpp"

#include <vector>

#include "net/ws_connection.hpp"

namespace parley::net {

server_context::server_context(actors::broker& broker, config::settings settings,
                               jwt_config jwt, bool dev_tokens)
  : broker_(broker),
    settings_(std::move(settings)),
    verifier_(std::move(jwt)),
    dev_tokens_(dev_tokens) {}

void server_context::add(const std::shared_ptr<ws_connection>& c) {
  std::lock_guard lock{mu_};
  connections_.emplace(c.get(), c);
}

void server_context::remove(const ws_connection* c) {
  std::lock_guard lock{mu_};
  connections_.erase(c);
}

size_t server_context::connection_count() const {
  std::lock_guard lock{mu_};
  return connections_.size();
}

void server_context::close_all() {
  stopping_.store(true);
  std::vector<std::shared_ptr<ws_connection>> all;
  {
    std::lock_guard lock{mu_};
    all.reserve(connections_.size());
    for (auto& [ptr, c] : connections_)
      all.push_back(c);
  }
  for (auto& c : all)
    c->close(actors::close_code::going_away, "server shutting down");
}

void server_context::abort_all() {
  std::vector<std::shared_ptr<ws_connection>> all;
  {
    std::lock_guard lock{mu_};
    for (auto& [ptr, c] : connections_)
      all.push_back(c);
  }
  for (auto& c : all)
    c->abort();
}

}  // namespace parley::net
