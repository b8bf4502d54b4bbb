#pragma once

#include <caf/all.hpp>

#include <memory>
#include <utility>
#include <vector>

#include "actors/messages.hpp"

namespace parley::actors {

/// The answer to a batch of sends (send_batch_atom): one outcome per send, in order, sent
/// when the last of them is known.
struct send_batch_reply {
  send_batch_reply(caf::response_promise p, size_t sends)
      : rp(std::move(p)), outcomes(sends), missing(sends + 1) {}

  void settle(size_t i, send_outcome o) {
    outcomes[i] = std::move(o);
    count_down();
  }
  /// The room has taken every send (the extra count): the answer may go once all are known.
  void all_taken() { count_down(); }

  caf::response_promise rp;
  std::vector<send_outcome> outcomes;

private:
  void count_down() {
    if (--missing == 0)
      rp.deliver(std::move(outcomes));
  }

  size_t missing;  ///< Sends without an outcome, plus one until all_taken.
};

/// Who waits for a room's write: a request's response promise, or one send of a batch.
/// Delivers what the room has to say the way each one needs it.
class write_waiter {
public:
  write_waiter(caf::response_promise rp) : rp_(std::move(rp)) {}  // NOLINT: implicit
  write_waiter(std::shared_ptr<send_batch_reply> batch, size_t index)
      : batch_(std::move(batch)), index_(index) {}

  void deliver(const ok_send& ok) {
    if (batch_)
      batch_->settle(index_, send_outcome{ok, {}});
    else
      rp_.deliver(ok);
  }
  void deliver(caf::error err) {
    if (batch_)
      batch_->settle(index_, send_outcome{{}, std::move(err)});
    else
      rp_.deliver(std::move(err));
  }
  /// For writes that answer with nothing (read markers): never one of a batch of sends.
  void deliver(caf::unit_t) { rp_.deliver(caf::unit); }

private:
  caf::response_promise rp_;
  std::shared_ptr<send_batch_reply> batch_;
  size_t index_ = 0;
};

}  // namespace parley::actors
