#include "store/writer_thread.hpp"

namespace imgshard::store {

WriterThread::WriterThread() : thread_([this] { loop(); }) {}

WriterThread::~WriterThread() {
  {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return jobs_.empty() && !running_job_; });
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void WriterThread::post(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
  }
  changed_.notify_all();
}

bool WriterThread::failed() {
  std::lock_guard lock(mutex_);
  return error_ != nullptr;
}

void WriterThread::drain() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return jobs_.empty() && !running_job_; });
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
}

void WriterThread::loop() {
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // stop_ and nothing left
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    running_job_ = true;
    lock.unlock();
    try {
      job();  // every job runs, also after a failure: jobs may hand buffers back
    } catch (...) {
      lock.lock();
      if (!error_) error_ = std::current_exception();
      lock.unlock();
    }
    lock.lock();
    running_job_ = false;
    changed_.notify_all();
  }
}

}  // namespace imgshard::store
