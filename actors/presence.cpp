#include "actors/presence.hpp"

namespace parley::actors {

caf::behavior presence_actor(presence_actor_ptr self) {
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    auto i = st.sessions.find(dm.source);
    if (i == st.sessions.end())
      return;
    auto c = st.connections.find(i->second);
    if (c != st.connections.end() && --c->second <= 0)
      st.connections.erase(c);
    st.sessions.erase(i);
  });
  return {
    [=](online_atom, const std::string& user) {
      auto& st = self->state;
      auto session = caf::actor_cast<caf::actor_addr>(self->current_sender());
      if (!session || !st.sessions.emplace(session, user).second)
        return;
      ++st.connections[user];
      self->monitor(session);
    },
    [=](count_atom, const std::string& user) -> int64_t {
      auto& c = self->state.connections;
      auto i = c.find(user);
      return i == c.end() ? 0 : i->second;
    },
    [=](count_atom) -> int64_t { return static_cast<int64_t>(self->state.sessions.size()); },
  };
}

}  // namespace parley::actors
