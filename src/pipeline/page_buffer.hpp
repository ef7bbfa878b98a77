#pragma once
// A byte vector for a unit's rows: page-aligned, so the rows can go to disk with O_DIRECT
// (store/row_writer.hpp), and left uninitialised when it grows (every row is written before
// it is read: no zero-fill touching every byte twice).
#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>
#include <vector>

namespace imgshard::pipeline {

inline constexpr std::size_t kPageAlign = 4096;

template <class T>
struct PageAlignedAllocator {
  using value_type = T;
  PageAlignedAllocator() = default;
  template <class U>
  PageAlignedAllocator(const PageAlignedAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(kPageAlign))); }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, std::align_val_t(kPageAlign)); }
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;  // default-initialised: bytes left as they are
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
  template <class U>
  bool operator==(const PageAlignedAllocator<U>&) const noexcept { return true; }
};

using PageBuffer = std::vector<std::uint8_t, PageAlignedAllocator<std::uint8_t>>;

}  // namespace imgshard::pipeline
