#include "store/run_lock.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/error.hpp"

namespace imgshard::store {

std::string lock_path(const std::string& output_path) { return output_path + ".lock"; }

RunLock::RunLock(const std::string& output_path) : path_(lock_path(output_path)) {
  // The holder removes the file before it lets go: a file we locked that is no longer the one
  // under the name was a finished run's; take the new one instead.
  for (int attempt = 0; attempt < 100; ++attempt) {
    // Never through a link or into a device or FIFO: a link planted under the lock's name (in
    // a shared folder) would have us truncate and write whatever file it points to.
    const int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
    if (fd < 0 && errno == ELOOP)
      throw StoreError(fmt::format("the lock {} is a symbolic link; imgshard writes no file through a link: "
                                   "remove the link",
                                   path_));
    if (fd < 0)
      throw StoreError(fmt::format("cannot create the lock {}: {}", path_, std::strerror(errno)));
    if (struct stat st {}; ::fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
      ::close(fd);
      throw StoreError(fmt::format("the lock {} exists and is not a regular file; it is left as it is", path_));
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int saved = errno;
      char holder[256] = {};
      const ssize_t n = ::pread(fd, holder, sizeof holder - 1, 0);
      ::close(fd);
      if (saved == EWOULDBLOCK) {
        std::string who(holder, std::size_t(std::max<ssize_t>(n, 0)));
        while (!who.empty() && (who.back() == '\n' || who.back() == '\0')) who.pop_back();
        throw StoreError(fmt::format("another imgshard run is writing {} ({}; lock {})",
                                     output_path, who.empty() ? "holder unknown" : who, path_));
      }
      throw StoreError(fmt::format("cannot lock {}: {}", path_, std::strerror(saved)));
    }
    struct stat held {}, named {};
    if (::fstat(fd, &held) == 0 && ::stat(path_.c_str(), &named) == 0 && held.st_dev == named.st_dev &&
        held.st_ino == named.st_ino) {
      char host[256] = {};
      ::gethostname(host, sizeof host - 1);
      const std::string who = fmt::format("pid {} on host {}\n", ::getpid(), host);
      if (::ftruncate(fd, 0) == 0) [[maybe_unused]] auto w = ::pwrite(fd, who.data(), who.size(), 0);
      fd_ = fd;
      return;
    }
    ::close(fd);
  }
  throw StoreError(fmt::format("cannot lock {}: it keeps being replaced", path_));
}

RunLock::~RunLock() {
  if (fd_ < 0) return;
  ::unlink(path_.c_str());
  ::close(fd_);
}

}  // namespace imgshard::store
