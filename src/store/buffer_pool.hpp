#pragma once
// A fixed set of buffers handed out and given back across threads: rank 0 fills one (it
// receives or computes a unit) while the writer thread empties another, and memory stays
// bounded by the pool.
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <vector>

namespace imgshard::store {

template <class Buffer>
class BufferPool {
 public:
  explicit BufferPool(std::size_t size) : buffers_(size) {
    for (auto& b : buffers_) free_.push_back(&b);
  }
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // A free buffer, waiting until one is given back when none is.
  Buffer& acquire() {
    std::unique_lock lock(mutex_);
    returned_.wait(lock, [&] { return !free_.empty(); });
    Buffer* b = free_.back();
    free_.pop_back();
    return *b;
  }
  void release(Buffer& b) {
    {
      std::lock_guard lock(mutex_);
      free_.push_back(&b);
    }
    returned_.notify_one();
  }

 private:
  std::vector<Buffer> buffers_;  // never resized: addresses stay valid
  std::vector<Buffer*> free_;
  std::mutex mutex_;
  std::condition_variable returned_;
};

}  // namespace imgshard::store
