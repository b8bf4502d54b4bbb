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

void count_unread_all(std::unordered_map<std::string, room_summary>& members,
                      const std::vector<msg_sender>& msgs) {
  std::vector<int64_t> all;
  all.reserve(msgs.size());
  // Only the senders that are asked about need their own messages set apart.
  std::unordered_map<std::string_view, std::vector<int64_t>> own;
  for (const auto& m : msgs) {
    all.push_back(m.seq);
    if (members.count(m.sender))
      own[m.sender].push_back(m.seq);
  }
  for (auto& [user, line] : members) {
    auto unread = count_after(all, line.read);
    if (auto o = own.find(user); o != own.end())
      unread -= count_after(o->second, line.read);
    line.unread = unread;
  }
}

}  // namespace parley::storage::detail
