// The room's `send`: one message, or a batch of one session's sends (send_batch_atom).
#include <chrono>
#include <memory>
#include <optional>

#include "actors/errors.hpp"
#include "actors/room_ops.hpp"

namespace parley::actors::room_ops {
namespace {

using clock = std::chrono::steady_clock;

/// Takes one send: returns its answer when it has one now (refused, or its cid already
/// stored), or nothing when the answer waits for a commit, registered through
/// `make_waiter()` (called at most once). `now`: when it was taken (a batch's sends share
/// one reading of the clock).
template <class MakeWaiter>
std::optional<send_outcome> take_send(room_actor_ptr self, const std::string& user,
                                      const send_req& req, bool trusted, clock::time_point now,
                                      MakeWaiter make_waiter) {
  auto& st = self->state;
  if (!trusted && !st.is_member(user))
    return send_outcome{{}, not_a_member()};
  auto [entry, fresh] = st.cids.find_or_add(user, req.cid);
  if (!fresh) {
    if (auto& known = st.cids[entry]; !known.in_flight)
      return send_outcome{ok_send{st.id, known.sent.seq, known.sent.ts}, {}};
    // The same send is already on its way to storage: answer both with its outcome.
    for (auto& w : st.in_flight)
      if (w.cid == entry) {
        w.waiting.push_back(make_waiter());
        return std::nullopt;
      }
    return send_outcome{{}, make_error(error_code::internal, "a send in flight was lost")};
  }
  if (auto err = refuse_write(st)) {
    st.forget_cid(entry);
    return send_outcome{{}, std::move(err)};
  }
  pending_write write;
  auto& ev = write.ev;
  ev.room = st.id;
  ev.seq = st.next_seq++;
  ev.kind = storage::event_kind::msg;
  ev.sender = user;
  ev.cid = req.cid;
  ev.body = req.body;
  ev.subtype = req.kind;
  ev.target = req.reply_to;
  ev.meta = req.meta;
  ev.ts = st.next_ts();
  in_flight_write w;
  w.cid = entry;
  w.accepted = now;
  w.waiting.push_back(make_waiter());
  hand_to_writer(self, std::move(write), std::move(w));
  return std::nullopt;
}

}  // namespace

caf::result<ok_send> on_send(room_actor_ptr self, const std::string& user, const send_req& req,
                             bool trusted) {
  caf::response_promise rp;
  auto at_once = take_send(self, user, req, trusted, clock::now(), [&] {
    rp = self->make_response_promise();
    return write_waiter{rp};
  });
  if (!at_once)
    return rp;
  if (at_once->err)
    return std::move(at_once->err);
  return at_once->ok;
}

caf::result<std::vector<send_outcome>> on_send_batch(room_actor_ptr self,
                                                     const std::string& user,
                                                     const std::vector<send_req>& reqs,
                                                     bool trusted) {
  // The promise answers even when every send is answered at once: once made, it is the
  // request's only way back.
  auto reply = std::make_shared<send_batch_reply>(self->make_response_promise(), reqs.size());
  auto taken_at = clock::now();
  for (size_t i = 0; i < reqs.size(); ++i)
    if (auto at_once = take_send(self, user, reqs[i], trusted, taken_at,
                             [&] { return write_waiter{reply, i}; }))
      reply->settle(i, std::move(*at_once));
  auto rp = reply->rp;
  reply->all_taken();
  return rp;
}

}  // namespace parley::actors::room_ops
