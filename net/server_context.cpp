#include "net/server_context.hpp"

#include <cctype>
#include <utility>
#include <vector>

#include "net/ws_connection.hpp"

namespace parley::net {

server_context::server_context(actors::broker& broker, config::settings settings,
                               jwt_config jwt, bool dev_tokens)
  : broker_(broker),
    settings_(std::move(settings)),
    verifier_(std::move(jwt)),
    dev_tokens_(dev_tokens) {}

connection_slot& connection_slot::operator=(connection_slot&& other) noexcept {
  if (this != &other) {
    release();
    ctx_ = std::exchange(other.ctx_, nullptr);
    kind_ = other.kind_;
    key_ = std::move(other.key_);
  }
  return *this;
}

void connection_slot::release() {
  if (auto ctx = std::exchange(ctx_, nullptr))
    ctx->release(kind_, key_);
}

connection_slot server_context::acquire_ip(std::string ip) {
  return acquire(connection_slot::kind::ip, std::move(ip), settings_.connections_per_ip);
}

connection_slot server_context::acquire_user(std::string user) {
  return acquire(connection_slot::kind::user, std::move(user), settings_.connections_per_user);
}

connection_slot server_context::acquire(connection_slot::kind k, std::string key,
                                        int64_t limit) {
  std::lock_guard lock{counts_mu_};
  auto& table = k == connection_slot::kind::ip ? per_ip_ : per_user_;
  auto [it, added] = table.try_emplace(key, 0);
  if (limit > 0 && it->second >= limit)
    return {};
  ++it->second;
  return connection_slot{this, k, std::move(key)};
}

void server_context::release(connection_slot::kind k, const std::string& key) {
  std::lock_guard lock{counts_mu_};
  auto& table = k == connection_slot::kind::ip ? per_ip_ : per_user_;
  auto it = table.find(key);
  if (it != table.end() && --it->second <= 0)
    table.erase(it);
}

int64_t server_context::ip_connections(const std::string& ip) const {
  std::lock_guard lock{counts_mu_};
  auto it = per_ip_.find(ip);
  return it == per_ip_.end() ? 0 : it->second;
}

int64_t server_context::user_connections(const std::string& user) const {
  std::lock_guard lock{counts_mu_};
  auto it = per_user_.find(user);
  return it == per_user_.end() ? 0 : it->second;
}

bool server_context::origin_allowed(std::optional<std::string_view> origin) const {
  const auto& allowed = settings_.allowed_origins;
  if (!origin || allowed.empty())
    return true;
  // The configured entries are lowercase already (the settings table normalises them).
  for (const auto& a : allowed) {
    if (a.size() != origin->size())
      continue;
    bool same = true;
    for (size_t i = 0; i < a.size() && same; ++i)
      same = std::tolower(static_cast<unsigned char>((*origin)[i])) ==
             static_cast<unsigned char>(a[i]);
    if (same)
      return true;
  }
  return false;
}

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
