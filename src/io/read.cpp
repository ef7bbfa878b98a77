#include "io/read.hpp"

#include <cerrno>
#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace imgshard::io {

std::string_view status_name(ImageStatus status) {
  switch (status) {
    case ImageStatus::ok: return "ok";
    case ImageStatus::unreadable: return "unreadable";
    case ImageStatus::empty: return "empty";
    case ImageStatus::unknown_format: return "unknown_format";
    case ImageStatus::corrupt: return "corrupt";
    case ImageStatus::truncated: return "truncated";
    case ImageStatus::decoder_warning: return "decoder_warning";
    case ImageStatus::too_large: return "too_large";
    case ImageStatus::kernel_failed: return "kernel_failed";
  }
  return "unknown";
}

namespace {

// Reads up to bytes.size() - done more bytes at `done`; returns the new end, or -1 (errno set).
ssize_t read_into(int fd, std::vector<std::uint8_t>& bytes, std::size_t done) {
  while (done < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;  // shrank while we read
    done += std::size_t(n);
  }
  return ssize_t(done);
}

}  // namespace

ImageStatus read_file(const std::string& path, std::vector<std::uint8_t>& bytes, std::string& error,
                      const DecodeOptions& options) {
  const auto fail = [&](const char* what) {
    error = std::string("cannot read file: ") + what;
    return ImageStatus::unreadable;
  };
  // O_NONBLOCK: a FIFO or device named like an image must not hang the run in open().
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return fail("no such file (deleted, or a dangling link)");
    return fail(std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return fail(std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail(S_ISDIR(st.st_mode) ? "it is a directory" : "not a regular file");
  }
  const std::uint64_t size = std::uint64_t(st.st_size);
  if (size > options.max_file_bytes) {
    ::close(fd);
    error = fmt::format("file is {} bytes, over --max-file-bytes {}", size, options.max_file_bytes);
    return ImageStatus::too_large;
  }
  // The header first: a bomb's declared size is refused before the rest is read.
  bytes.resize(std::min<std::size_t>(std::size_t(size), kHeaderBytes));
  ssize_t got = read_into(fd, bytes, 0);
  if (got >= 0 && std::size_t(got) == bytes.size() && size > bytes.size()) {
    const std::span<const std::uint8_t> header(bytes.data(), std::size_t(got));
    if (const auto status = check_header(header, options, error); status != ImageStatus::ok) {
      ::close(fd);
      return status;
    }
    bytes.resize(std::size_t(size));
    got = read_into(fd, bytes, std::size_t(got));
  }
  if (got < 0) {
    const int saved = errno;
    ::close(fd);
    return fail(std::strerror(saved));
  }
  const std::size_t done = std::size_t(got);
  ::close(fd);
  bytes.resize(done);
  if (done == 0) {
    error = "empty file";
    return ImageStatus::empty;
  }
  return ImageStatus::ok;
}

void prefetch(const std::string& path, const DecodeOptions& options) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && std::uint64_t(st.st_size) <= options.max_file_bytes)
    ::posix_fadvise(fd, 0, std::min<off_t>(st.st_size, kPrefetchBytes), POSIX_FADV_WILLNEED);
  ::close(fd);
}

}  // namespace imgshard::io
