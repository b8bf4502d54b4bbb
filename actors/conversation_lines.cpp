#include "actors/conversation_lines.hpp"

#include <algorithm>

#include "storage/detail/message_fold.hpp"
#include "storage/detail/store_limits.hpp"

namespace parley::actors {

using storage::detail::unread_window;

namespace {

/// Changes to the latest message kept unfolded; beyond, they are folded into its state, so
/// a message that collects reactions for hours holds no list of them.
constexpr size_t max_unfolded_changes = 64;

/// How many of the ascending [first, last) are greater than `read`.
template <class It>
int64_t count_after(It first, It last, int64_t read) {
  return static_cast<int64_t>(last - std::upper_bound(first, last, read));
}

}  // namespace

void conversation_lines::start(int64_t head, std::span<const event_ptr> tail) {
  msgs_.clear();
  by_sender_.clear();
  last_.reset();
  folded_.reset();
  changes_.clear();
  // The tail runs up to the head: everything from its first event on is known. Without a
  // tail only what comes next is.
  seen_from_ = tail.empty() ? head + 1 : tail.front()->seq();
  seen_to_ = head;
  last_known_ = seen_from_ <= 1;
  for (const auto& ev : tail)
    add(ev);
}

void conversation_lines::add(const event_ptr& ptr) {
  const auto* ev = std::get_if<storage::event>(&ptr->payload());
  if (ev == nullptr)
    return;  // not persistent: not part of the log
  seen_to_ = ev->seq;
  if (ev->kind != storage::event_kind::msg) {
    if (!last_ || ev->target != last_->seq())
      return;
    if (changes_.size() == max_unfolded_changes) {
      folded_ = last();
      changes_.clear();
    }
    changes_.push_back(ptr);
    return;
  }
  auto& entry = *by_sender_.try_emplace(ev->sender).first;
  entry.second.seqs.push_back(ev->seq);
  msgs_.emplace_back(ev->seq, &entry);
  if (static_cast<int64_t>(msgs_.size()) > unread_window)
    drop_oldest();
  last_ = ptr;
  folded_.reset();
  changes_.clear();
  last_known_ = true;
}

void conversation_lines::drop_oldest() {
  auto* entry = msgs_.front().second;
  msgs_.pop_front();
  auto& s = entry->second;
  if (++s.first == s.seqs.size()) {
    // Its last message here: nothing points to the entry now. (By iterator: erasing by
    // key would hand erase a reference into the element it destroys.)
    by_sender_.erase(by_sender_.find(entry->first));
  } else if (s.first * 2 > s.seqs.size()) {
    s.seqs.erase(s.seqs.begin(), s.seqs.begin() + static_cast<std::ptrdiff_t>(s.first));
    s.first = 0;
  }
}

void conversation_lines::catch_up(int64_t head) {
  if (head > seen_to_)
    start(head, {});
}

std::optional<storage::message_state> conversation_lines::last() const {
  if (!last_)
    return std::nullopt;
  auto fold = folded_ ? storage::detail::message_fold{std::vector{*folded_}}
                     : storage::detail::message_fold{
                         std::vector{std::get<storage::event>(last_->payload())}};
  for (const auto& c : changes_)
    fold.apply(std::get<storage::event>(c->payload()));
  return std::move(std::move(fold).finish().front());
}

bool conversation_lines::can_count(int64_t read) const {
  // A full window is all that is ever counted; otherwise every message after the marker
  // must have been seen.
  return static_cast<int64_t>(msgs_.size()) == unread_window || read + 1 >= seen_from_;
}

int64_t conversation_lines::unread(const std::string& user, int64_t read) const {
  // msgs_ is ascending by seq: the window's messages after the marker, less the user's own.
  auto after = static_cast<int64_t>(
    msgs_.end() - std::upper_bound(msgs_.begin(), msgs_.end(), read,
                                   [](int64_t r, const auto& m) { return r < m.first; }));
  auto own = by_sender_.find(user);
  if (own == by_sender_.end())
    return after;
  const auto& seqs = own->second.seqs;
  return after - count_after(seqs.begin() + static_cast<std::ptrdiff_t>(own->second.first),
                             seqs.end(), read);
}

}  // namespace parley::actors
