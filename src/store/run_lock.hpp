#pragma once
// One run per output at a time: rank 0 takes this lock (OUT.lock beside the output, flock'ed)
// before it reads or writes anything of OUT, and holds it until the run ends. A second run
// on the same output is refused before it touches anything. The kernel drops the lock when
// the holder dies, even by SIGKILL, so a killed run never blocks its --resume.
#include <string>

#include "store/error.hpp"

namespace imgshard::store {

class RunLock {
 public:
  // Throws StoreError naming the holder ("pid 123 on host n1") when another run holds it.
  explicit RunLock(const std::string& output_path);
  ~RunLock();  // removes the lock file, then releases it
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  std::string path_;
  int fd_ = -1;
};

std::string lock_path(const std::string& output_path);

}  // namespace imgshard::store
