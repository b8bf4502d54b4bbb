#pragma once

#include <cstddef>
#include <new>

namespace parley::net {

/// What a socket wait costs on Boost 1.81: reactive_wait_op around a handler holding one
/// shared_ptr, with the socket's any_io_executor (tests/unit/net_handler_slot_test.cpp checks
/// that it fits, so a Boost upgrade that grows it is seen rather than silently heap-allocated).
constexpr std::size_t socket_wait_op_size = 208;

/// Room for one pending asynchronous operation inside the object that starts it, and the
/// allocator that hands it to Asio (`asio::bind_allocator(slot.allocator(), handler)`).
///
/// Why: Asio allocates every pending operation (the handler and its bookkeeping) through the
/// handler's associated allocator. The default one is a per-thread cache that hands back the
/// block freed last if it is big enough — for a connection's read wait that was usually the
/// ~600 B block of the upgrade's composed HTTP write, and an idle connection holds its read
/// wait for as long as it idles: heaptrack put ~580 B per idle connection there, for an
/// operation of 208 B. A slot inside the connection costs exactly the operation's size and
/// no allocation per wait.
///
/// One operation at a time: the slot serves the first request it fits and falls back to the
/// heap while it is taken or when an operation is bigger than `Size`. Asio gives the memory
/// back before it calls the handler, so a handler that starts the next wait finds the slot
/// free. Single-threaded like the operations it serves (one strand or one thread).
template <std::size_t Size>
class handler_slot {
public:
  handler_slot() = default;
  handler_slot(const handler_slot&) = delete;
  handler_slot& operator=(const handler_slot&) = delete;

  void* allocate(std::size_t bytes) {
    if (!taken_ && bytes <= Size) {
      taken_ = true;
      return storage_;
    }
    return ::operator new(bytes);
  }

  void deallocate(void* p) {
    if (p == static_cast<void*>(storage_))
      taken_ = false;
    else
      ::operator delete(p);
  }

  /// Whether an operation holds the slot (for tests).
  bool taken() const { return taken_; }

  /// A standard allocator over this slot; it must not outlive the slot (a handler that
  /// carries it also keeps the slot's owner alive, e.g. by a shared_ptr to it).
  template <class T>
  class allocator_type {
  public:
    using value_type = T;
    explicit allocator_type(handler_slot* slot) noexcept : slot_(slot) {}
    template <class U>
    allocator_type(const allocator_type<U>& other) noexcept : slot_(other.slot_) {}

    T* allocate(std::size_t n) { return static_cast<T*>(slot_->allocate(n * sizeof(T))); }
    void deallocate(T* p, std::size_t) noexcept { slot_->deallocate(p); }

    template <class U>
    bool operator==(const allocator_type<U>& other) const noexcept {
      return slot_ == other.slot_;
    }
    template <class U>
    bool operator!=(const allocator_type<U>& other) const noexcept {
      return slot_ != other.slot_;
    }

  private:
    template <class>
    friend class allocator_type;
    handler_slot* slot_;
  };

  allocator_type<void> allocator() noexcept { return allocator_type<void>(this); }

private:
  alignas(std::max_align_t) unsigned char storage_[Size];
  bool taken_ = false;
};

}  // namespace parley::net
