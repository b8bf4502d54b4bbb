#include "storage/detail/unread_counts.hpp"

#include <algorithm>
#include <limits>
#include <string_view>

namespace parley::storage::detail {

namespace {

/// How many of the ascending `seqs` are greater than `read`.
int64_t count_after(const std::vector<int64_t>& seqs, int64_t read) {
  return static_cast<int64_t>(seqs.end() - std::upper_bound(seqs.begin(), seqs.end(), read));
}

}  // namespace

int64_t min_read(const std::unordered_map<std::string, room_summary>& members) {
  if (members.empty())
    return 0;
  auto lowest = std::numeric_limits<int64_t>::max();
  for (const auto& [user, line] : members)
    lowest = std::min(lowest, line.read);
  return lowest;
}

unread_counter::unread_counter(std::unordered_map<std::string, room_summary>& members)
  : members_(members) {
  for (const auto& [user, line] : members_)
    own_[user];
}

void unread_counter::add(int64_t seq, std::string_view sender) {
  all_.push_back(seq);
  if (auto o = own_.find(sender); o != own_.end())
    o->second.push_back(seq);
}

void unread_counter::finish() {
  std::sort(all_.begin(), all_.end());
  for (auto& [user, line] : members_) {
    auto& own = own_[user];
    std::sort(own.begin(), own.end());
    line.unread = count_after(all_, line.read) - count_after(own, line.read);
  }
}

}  // namespace parley::storage::detail
