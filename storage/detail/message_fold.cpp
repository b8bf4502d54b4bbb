#include "storage/detail/message_fold.hpp"

#include <algorithm>

namespace parley::storage::detail {

message_fold::message_fold(std::vector<event> messages) {
  states_.reserve(messages.size());
  for (auto& m : messages)
    states_.push_back(message_state{std::move(m), 0, false, {}});
}

message_state* message_fold::find(int64_t seq) {
  auto i = std::lower_bound(states_.begin(), states_.end(), seq,
                            [](const message_state& s, int64_t x) { return s.msg.seq < x; });
  return i != states_.end() && i->msg.seq == seq ? &*i : nullptr;
}

void message_fold::apply(const event& e) {
  if (e.kind == event_kind::msg || e.kind == event_kind::member)
    return;
  auto* s = find(e.target);
  if (s == nullptr || e.seq <= s->msg.seq)  // only later events change a message
    return;
  switch (e.kind) {
    case event_kind::edit:
      if (!s->deleted) {
        s->msg.body = e.body;
        s->edited_ts = e.ts;
      }
      break;
    case event_kind::del:
      s->deleted = true;
      s->msg.body.clear();
      break;
    case event_kind::react: {
      auto& rs = s->reactions;
      auto r = std::find_if(rs.begin(), rs.end(), [&](auto& p) { return p.first == e.body; });
      if (e.subtype == "on") {
        if (r == rs.end())
          r = rs.insert(rs.end(), {e.body, {}});
        if (std::find(r->second.begin(), r->second.end(), e.sender) == r->second.end())
          r->second.push_back(e.sender);
      } else if (e.subtype == "off" && r != rs.end()) {
        std::erase(r->second, e.sender);
      }
      break;
    }
    default:
      break;
  }
}

std::vector<message_state> message_fold::finish() && {
  for (auto& s : states_) {
    auto& rs = s.reactions;
    std::erase_if(rs, [](auto& p) { return p.second.empty(); });
    std::stable_sort(rs.begin(), rs.end(),
                     [](auto& a, auto& b) { return a.first < b.first; });
  }
  return std::move(states_);
}

}  // namespace parley::storage::detail
