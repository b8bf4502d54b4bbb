#include "actors/delivery_batch.hpp"

#include <utility>
#include <vector>

namespace parley::actors {

namespace {

struct batch_state {
  int depth = 0;
  std::vector<std::pair<void*, void (*)(void*)>> wakes;
};

thread_local batch_state state;

}  // namespace

delivery_batch::delivery_batch() {
  ++state.depth;
}

delivery_batch::~delivery_batch() {
  if (--state.depth > 0)
    return;
  // Swap out first: a wake may deliver again (and so defer) on this thread.
  auto wakes = std::move(state.wakes);
  state.wakes.clear();
  for (auto [key, wake] : wakes)
    wake(key);
}

bool delivery_batch::defer_wake(void* key, void (*wake)(void*)) {
  if (state.depth == 0)
    return false;
  state.wakes.emplace_back(key, wake);
  return true;
}

}  // namespace parley::actors
