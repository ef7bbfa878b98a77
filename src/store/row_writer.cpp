#include "store/row_writer.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

namespace imgshard::store {

RowWriter::RowWriter(const std::string& path, RowPlacement placement)
    : path_(path), placement_(placement), fd_(::open(path.c_str(), O_WRONLY | O_CLOEXEC)) {
  if (fd_ < 0) throw StoreError(fmt::format("cannot open {} to write rows: {}", path, std::strerror(errno)));
  // A file system without direct I/O refuses the flag here (EINVAL): every row then goes
  // through the page cache, as before.
  direct_fd_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_DIRECT);
}

RowWriter::~RowWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (direct_fd_ >= 0) ::close(direct_fd_);
}

bool write_all(int fd, const std::uint8_t* bytes, std::uint64_t size, std::uint64_t at) {
  std::uint64_t done = 0;
  while (done < size) {
    const ssize_t n = ::pwrite(fd, bytes + done, std::size_t(size - done), off_t(at + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    done += std::uint64_t(n);
  }
  return true;
}

void RowWriter::write(std::uint64_t begin, std::uint64_t count, const std::uint8_t* rows) {
  // Consecutive rows are consecutive bytes: one range of the file for the whole unit.
  const std::uint64_t total = count * placement_.row_bytes;
  const std::uint64_t at = placement_.offset + begin * placement_.row_bytes;
  const auto fail = [&] {
    throw StoreError(fmt::format("cannot write rows {}..{} of /images into {}: {}", begin, begin + count - 1, path_,
                                 std::strerror(errno)));
  };
  // The whole pages of the range go around the page cache when the rows start on a page, as
  // they do in memory (pipeline::PageBuffer): copying 700 MB into freshly allocated cache
  // pages was a fifth of a run's CPU time. The partial pages at either end, which the
  // neighbouring units share, go through the cache, so no page is written both ways.
  const std::uint64_t first_page = (at + kRowPage - 1) / kRowPage * kRowPage;
  const std::uint64_t end_page = (at + total) / kRowPage * kRowPage;
  const bool direct = direct_fd_ >= 0 && end_page > first_page &&
                      (reinterpret_cast<std::uintptr_t>(rows) + (first_page - at)) % kRowPage == 0;
  if (direct) {
    if (!write_all(fd_, rows, first_page - at, at)) fail();
    if (!write_all(direct_fd_, rows + (first_page - at), end_page - first_page, first_page)) {
      // A file system that opened with O_DIRECT but refuses this alignment: the page cache
      // from now on.
      if (errno != EINVAL) fail();
      ::close(direct_fd_);
      direct_fd_ = -1;
      if (!write_all(fd_, rows + (first_page - at), end_page - first_page, first_page)) fail();
    }
    if (!write_all(fd_, rows + (end_page - at), at + total - end_page, end_page)) fail();
    return;
  }
  if (!write_all(fd_, rows, total, at)) fail();
}

void RowWriter::sync() const {
  if (::fdatasync(fd_) != 0)
    throw StoreError(fmt::format("cannot sync rows of {} to disk: {}", path_, std::strerror(errno)));
}

}  // namespace imgshard::store
