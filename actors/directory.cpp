#include "actors/directory.hpp"

#include <algorithm>
#include <memory>

#include "actors/errors.hpp"
#include "actors/room.hpp"

namespace parley::actors {
namespace {

std::string random_room_id(std::mt19937_64& rng) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string id = "r-";
  for (int i = 0; i < 20; ++i)
    id += hex[rng() % 16];
  return id;
}

/// The room's record: the creator (none for the server API) and `admins` are admins, the
/// other `members` members; each user once.
storage::room_record make_record(const std::string& id, const std::string& creator,
                                 const create_req& req, int64_t now) {
  storage::room_record rec;
  rec.id = id;
  rec.title = req.title;
  rec.created_by = creator.empty() ? "server" : creator;
  rec.created_at = now;
  auto add = [&](const std::string& user, storage::member_role role) {
    for (auto& m : rec.members)
      if (m.user == user) {
        m.role = std::max(m.role, role);
        return;
      }
    rec.members.push_back({user, role, 0, now});
  };
  if (!creator.empty())
    add(creator, storage::member_role::admin);
  for (auto& m : req.members)
    add(m, storage::member_role::member);
  for (auto& a : req.admins)
    add(a, storage::member_role::admin);
  return rec;
}

caf::actor writer_for(directory_state& st, const std::string& id) {
  return st.writers[pool_index(id, st.writers.size())];
}

caf::actor room_for(directory_actor_ptr self, const std::string& id) {
  auto& st = self->state;
  auto& room = st.rooms[id];
  if (!room) {
    room = self->spawn(room_actor, id, st.cfg, writer_for(st, id),
                       st.readers[pool_index(id, st.readers.size())],
                       caf::actor_cast<caf::actor>(self));
    self->monitor(room);
  }
  return room;
}

/// Answers the lookups that waited for a create of `id`, whatever its outcome.
void release_lookups(directory_actor_ptr self, const std::string& id) {
  auto i = self->state.creating.find(id);
  if (i == self->state.creating.end())
    return;
  auto waiting = std::move(i->second);
  self->state.creating.erase(i);
  if (waiting.empty())
    return;
  auto room = room_for(self, id);
  for (auto& rp : waiting)
    rp.deliver(room);
}

}  // namespace

size_t pool_index(const std::string& room_id, size_t pool_size) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : room_id)
    h = (h ^ c) * 1099511628211ull;
  return pool_size == 0 ? 0 : static_cast<size_t>(h % pool_size);
}

caf::behavior directory_actor(directory_actor_ptr self, room_config cfg,
                              std::vector<caf::actor> writers, std::vector<caf::actor> readers) {
  self->state.cfg = std::move(cfg);
  self->state.writers = std::move(writers);
  self->state.readers = std::move(readers);
  // Rooms are not linked to the directory (a failing room must not take it down), so
  // when the directory is told to exit, it passes that on to every room.
  self->set_exit_handler([=](caf::exit_msg& msg) {
    for (auto& [id, room] : self->state.rooms)
      self->send_exit(room, msg.reason);
    self->state.rooms.clear();
    self->quit(msg.reason);
  });
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& rooms = self->state.rooms;
    for (auto i = rooms.begin(); i != rooms.end(); ++i)
      if (i->second.address() == dm.source) {
        rooms.erase(i);
        break;
      }
  });
  return {
    [=](get_room_atom, const std::string& id) -> caf::result<caf::actor> {
      if (auto i = self->state.creating.find(id); i != self->state.creating.end()) {
        auto rp = self->make_response_promise();
        i->second.push_back(rp);
        return rp;
      }
      return room_for(self, id);
    },
    [=](create_atom, const std::string& user, const create_req& req) -> caf::result<ok_create> {
      auto& st = self->state;
      auto id = req.room ? *req.room : random_room_id(st.rng);
      if (st.creating.count(id))
        return make_error(error_code::conflict, "room " + id + " is being created");
      st.creating[id];
      auto rp = self->make_response_promise();
      auto rec = make_record(id, user, req, st.cfg.now_ms());
      // A new room's lines are known without storage: head 0, nothing unread, no message.
      conversation_notice notice{id, 0, std::nullopt, {}, {}};
      for (auto& m : rec.members)
        notice.lines.emplace_back(m.user, 0);
      self->request(writer_for(st, id), st.cfg.storage_timeout, create_atom::value,
                    std::move(rec))
        .then(
          [=]() mutable {
            // The new room shows in its members' live conversation lists at once (a `room`
            // event), not only after its first message. Sent before the `ok`, so it reaches
            // presence before any line of the room's own (they follow the client's sends).
            if (auto& presence = self->state.cfg.presence)
              self->send(presence, room_atom::value, notice);
            // An actor that answered "no such room" for this id must not linger.
            auto& rooms = self->state.rooms;
            if (auto i = rooms.find(id); i != rooms.end()) {
              self->demonitor(i->second);
              self->send_exit(i->second, caf::exit_reason::user_shutdown);
              rooms.erase(i);
            }
            rp.deliver(ok_create{id});
            release_lookups(self, id);
          },
          [=](caf::error& err) mutable {
            auto info = to_error_info(err);
            if (info.code == error_code::conflict)
              info.message = "room " + id + " exists";
            rp.deliver(make_error(info.code, info.message));
            release_lookups(self, id);
          });
      return rp;
    },
    [=](stopping_atom, const std::string& id) {
      auto& rooms = self->state.rooms;
      auto i = rooms.find(id);
      if (i != rooms.end() && i->second.address() == self->current_sender()) {
        self->demonitor(i->second);
        rooms.erase(i);
      }
    },
    [=](drain_atom) -> caf::result<void> {
      auto& st = self->state;
      if (st.rooms.empty())
        return caf::unit;
      auto rp = self->make_response_promise();
      auto pending = std::make_shared<size_t>(st.rooms.size());
      for (auto& [id, room] : st.rooms)
        self->request(room, st.cfg.storage_timeout, drain_atom::value)
          .then([=]() mutable { if (--*pending == 0) rp.deliver(caf::unit); },
                [=](caf::error&) mutable { if (--*pending == 0) rp.deliver(caf::unit); });
      return rp;
    },
  };
}

}  // namespace parley::actors
