#include "store/journal.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <zlib.h>

#include "store/error.hpp"

namespace imgshard::store {

std::string journal_path(const std::string& output_path) { return output_path + ".journal"; }

namespace {

std::uint32_t crc_of(const IndexRange& r, const std::string& fingerprint) {
  const std::string text = fmt::format("{} {} {}", r.begin, r.count, fingerprint);
  return std::uint32_t(crc32(0L, reinterpret_cast<const Bytef*>(text.data()), uInt(text.size())));
}

// Reads an unsigned decimal number at `at` and the single space after it (when `space`).
bool take_number(const std::string& s, std::size_t& at, std::uint64_t& value, int base = 10) {
  const auto [end, ec] = std::from_chars(s.data() + at, s.data() + s.size(), value, base);
  if (ec != std::errc() || end == s.data() + at) return false;
  at = std::size_t(end - s.data());
  return true;
}

[[noreturn]] void fail(const std::string& what, const std::string& path, int error) {
  throw StoreError(fmt::format("cannot {} journal {}: {}", what, path, std::strerror(error)));
}

}  // namespace

Journal::Journal(std::string path, std::string fingerprint)
    : path_(std::move(path)), fingerprint_(std::move(fingerprint)) {}

std::string Journal::record(const IndexRange& r) const {
  return fmt::format("{} {} {:08x}", r.begin, r.count, crc_of(r, fingerprint_));
}

bool Journal::parse(const std::string& line, IndexRange& r) const {
  std::size_t at = 0;
  std::uint64_t crc = 0;
  if (!take_number(line, at, r.begin) || at >= line.size() || line[at++] != ' ') return false;
  if (!take_number(line, at, r.count) || at >= line.size() || line[at++] != ' ') return false;
  if (line.size() - at != 8 || !take_number(line, at, crc, 16) || at != line.size()) return false;
  return crc == crc_of(r, fingerprint_);
}

std::vector<IndexRange> Journal::read(std::uint64_t rows) const {
  std::vector<IndexRange> ranges;
  std::ifstream in(path_);
  std::string line;
  while (std::getline(in, line)) {
    IndexRange r;
    if (parse(line, r) && r.count <= rows && r.begin <= rows - r.count) ranges.push_back(r);
  }
  std::sort(ranges.begin(), ranges.end(), [](const auto& a, const auto& b) { return a.begin < b.begin; });
  std::vector<IndexRange> merged;
  for (const auto& r : ranges) {
    if (!merged.empty() && r.begin <= merged.back().begin + merged.back().count) {
      auto& last = merged.back();
      last.count = std::max(last.begin + last.count, r.begin + r.count) - last.begin;
    } else {
      merged.push_back(r);
    }
  }
  return merged;
}

void Journal::append(const std::vector<IndexRange>& ranges) const {
  if (ranges.empty()) return;
  const bool existed = std::filesystem::exists(path_);
  const int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) fail("open", path_, errno);
  std::string text;
  // A torn last record has no newline: start on a line of our own, so the fragment stays a
  // line apart (and fails its check) instead of gluing onto our first record.
  const off_t size = ::lseek(fd, 0, SEEK_END);
  char last = '\n';
  if (size > 0 && ::pread(fd, &last, 1, size - 1) == 1 && last != '\n') text += '\n';
  for (const auto& r : ranges) text += record(r) + '\n';
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int saved = errno;
      ::close(fd);
      fail("write", path_, saved);
    }
    done += std::size_t(n);
  }
  if (::fsync(fd) != 0) {
    const int saved = errno;
    ::close(fd);
    fail("sync", path_, saved);
  }
  if (::close(fd) != 0) fail("close", path_, errno);
  if (!existed) {
    // A new journal's name must be durable too, or a power loss forgets the whole file.
    const auto dir = std::filesystem::path(path_).parent_path();
    const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);  // best effort: some file systems refuse fsync on a directory
      ::close(dfd);
    }
  }
}

void Journal::remove() const {
  std::error_code ec;
  std::filesystem::remove(path_, ec);
}

}  // namespace imgshard::store
