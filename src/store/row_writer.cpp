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
}

RowWriter::~RowWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void RowWriter::write(std::uint64_t begin, std::uint64_t count, const std::uint8_t* rows) const {
  // Consecutive rows are consecutive bytes: one write for the whole unit.
  const std::uint64_t total = count * placement_.row_bytes;
  const off_t at = off_t(placement_.offset + begin * placement_.row_bytes);
  std::uint64_t done = 0;
  while (done < total) {
    const ssize_t n = ::pwrite(fd_, rows + done, std::size_t(total - done), at + off_t(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      throw StoreError(fmt::format("cannot write rows {}..{} of /images into {}: {}", begin, begin + count - 1, path_,
                                   std::strerror(errno)));
    done += std::uint64_t(n);
  }
}

void RowWriter::sync() const {
  if (::fdatasync(fd_) != 0)
    throw StoreError(fmt::format("cannot sync rows of {} to disk: {}", path_, std::strerror(errno)));
}

}  // namespace imgshard::store
