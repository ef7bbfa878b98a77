#include "app/test_hooks.hpp"

#include <cstdlib>
#include <string>

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

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

}  // namespace imgshard::app
