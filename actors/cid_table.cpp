#include "actors/cid_table.hpp"

#include <boost/container_hash/hash.hpp>

#include <cassert>
#include <random>

namespace parley::actors {
namespace {

constexpr size_t first_index_size = 16;

size_t process_seed() {
  static const size_t seed = [] {
    std::random_device rd;
    return (static_cast<size_t>(rd()) << 32) ^ rd();
  }();
  return seed;
}

}  // namespace

uint64_t cid_table::seeded_hash(std::string_view sender, std::string_view cid) {
  size_t h = process_seed();
  boost::hash_range(h, sender.begin(), sender.end());
  boost::hash_combine(h, sender.size());  // ("ab", "c") and ("a", "bc") differ
  boost::hash_range(h, cid.begin(), cid.end());
  return h;
}

std::pair<cid_table::handle, bool> cid_table::find_or_add(std::string_view sender,
                                                           std::string_view cid) {
  if (index_.empty())
    grow();
  auto hash = hash_(sender, cid);
  auto low = static_cast<uint32_t>(hash);
  auto mask = index_.size() - 1;
  for (size_t i = home(hash); index_[i].slot_plus_one != 0; i = (i + 1) & mask) {
    if (index_[i].hash_low != low)
      continue;
    handle h = index_[i].slot_plus_one - 1;
    const auto& s = slots_[h];
    if (s.hash == hash && s.key.size() == sender.size() + 1 + cid.size() &&
        s.key.compare(0, sender.size(), sender) == 0 && s.key[sender.size()] == '\0' &&
        s.key.compare(sender.size() + 1, cid.size(), cid) == 0)
      return {h, false};
  }
  if ((size_ + 1) * 4 > index_.size() * 3)
    grow();
  handle h;
  if (!free_.empty()) {
    h = free_.back();
    free_.pop_back();
  } else {
    h = static_cast<handle>(slots_.size());
    slots_.emplace_back();
  }
  auto& s = slots_[h];
  s.hash = hash;
  // A reused slot keeps its string's buffer: a key of about the same length costs no
  // allocation.
  s.key.assign(sender);
  s.key += '\0';
  s.key.append(cid);
  s.state = entry{{}, true};
  put(h);
  ++size_;
  return {h, true};
}

void cid_table::commit(handle h, stored_send s, size_t keep) {
  assert(slots_[h].state.in_flight);
  if (keep == 0) {
    remove(h);
    return;
  }
  slots_[h].state = entry{s, false};
  order_.push_back(h);
  while (order_.size() > keep) {
    remove(order_.front());
    order_.pop_front();
  }
}

void cid_table::erase(handle h) {
  assert(slots_[h].state.in_flight);
  remove(h);
}

size_t cid_table::place_of(handle h) const {
  auto mask = index_.size() - 1;
  size_t i = home(slots_[h].hash);
  while (index_[i].slot_plus_one != h + 1)
    i = (i + 1) & mask;
  return i;
}

void cid_table::remove(handle h) {
  // Linear probing without tombstones: the entries after the hole that could sit in it
  // (their home is not between the hole and them) move back, so every probe still ends
  // at the first empty place.
  auto mask = index_.size() - 1;
  size_t hole = place_of(h);
  index_[hole] = place{};
  for (size_t j = (hole + 1) & mask; index_[j].slot_plus_one != 0; j = (j + 1) & mask) {
    size_t k = index_[j].hash_low & mask;
    bool stays = hole <= j ? (hole < k && k <= j) : (hole < k || k <= j);
    if (stays)
      continue;
    index_[hole] = index_[j];
    index_[j] = place{};
    hole = j;
  }
  slots_[h].key.clear();
  free_.push_back(h);
  --size_;
}

void cid_table::put(handle h) {
  auto mask = index_.size() - 1;
  size_t i = home(slots_[h].hash);
  while (index_[i].slot_plus_one != 0)
    i = (i + 1) & mask;
  index_[i] = place{static_cast<uint32_t>(slots_[h].hash), h + 1};
}

void cid_table::grow() {
  auto old = std::move(index_);
  index_.assign(old.empty() ? first_index_size : old.size() * 2, place{});
  for (auto& p : old)
    if (p.slot_plus_one != 0)
      put(p.slot_plus_one - 1);
}

}  // namespace parley::actors
