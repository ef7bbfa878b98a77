#include "app/test_hooks.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "app/signals.hpp"
#include "comm/world.hpp"

namespace imgshard::app {

void note_rank_process(const comm::World& world) {
  const char* path = std::getenv("IMGSHARD_TEST_PIDFILE");
  if (!path || !*path) return;
  const std::string line = fmt::format("{} {} {}\n", world.rank(), ::getpid(), world.host());
  // One write to an O_APPEND file: lines of ranks on different nodes never interleave.
  const int fd = ::open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  [[maybe_unused]] const auto n = ::write(fd, line.data(), line.size());
  ::close(fd);
}

bool stall_wanted(const std::string& point) {
  static const char* wanted = std::getenv("IMGSHARD_TEST_STALL");
  return wanted && point == wanted;
}

void stall_point(const std::string& point) {
  if (!stall_wanted(point)) return;
  if (const char* once = std::getenv("IMGSHARD_TEST_STALL_ONCE")) {
    const int fd = ::open(once, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return;
    ::close(fd);
  }
  fmt::print(stderr, "imgshard: test stall at {}\n", point);
  std::fflush(stderr);
  // Short naps: a stop signal may land on another thread and not interrupt this one.
  for (int i = 0; i < 6000 && !stop_requested(); ++i) ::usleep(100'000);
}

}  // namespace imgshard::app
