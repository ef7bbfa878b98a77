#pragma once
// One I/O thread that runs write jobs in order, so that rank 0's OpenMP threads compute the
// next unit while the previous one goes to disk. HDF5 is not thread-safe here: while jobs
// may be pending, only this thread calls it; after drain() the caller may again.
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

namespace imgshard::store {

class WriterThread {
 public:
  WriterThread();
  ~WriterThread();  // drains, then joins
  WriterThread(const WriterThread&) = delete;
  WriterThread& operator=(const WriterThread&) = delete;

  void post(std::function<void()> job);
  // Waits until every posted job has run; rethrows the first exception a job threw.
  void drain();
  // Whether a job has thrown (drain() will rethrow it).
  bool failed();

 private:
  void loop();

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::function<void()>> jobs_;
  bool running_job_ = false;
  bool stop_ = false;
  std::exception_ptr error_;
  std::thread thread_;
};

}  // namespace imgshard::store
