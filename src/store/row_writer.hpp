#pragma once
// Writing rows of /images straight into the output file, at the place HDF5 gave them when
// the file was created (OutputFile::row_placement), without HDF5: every rank writes the rows
// it computed, so pixels never travel through rank 0. HDF5 never touches those bytes again
// (allocated early, never filled), so the two writers do not meet.
#include <cstdint>
#include <string>

#include "store/output_file.hpp"  // RowPlacement, StoreError

namespace imgshard::store {

// Writes all `size` bytes at offset `at` of `fd` (pwrite, again after a signal or a short
// write); false, with errno set, when the system refuses.
bool write_all(int fd, const std::uint8_t* bytes, std::uint64_t size, std::uint64_t at);

class RowWriter {
 public:
  // Opens `path` for writing (not for HDF5: a plain descriptor). Throws StoreError.
  RowWriter(const std::string& path, RowPlacement placement);
  ~RowWriter();
  RowWriter(const RowWriter&) = delete;
  RowWriter& operator=(const RowWriter&) = delete;

  // Writes rows [begin, begin + count) from `rows` (count x row_bytes). Throws StoreError.
  // The range's whole pages bypass the page cache (O_DIRECT) when `rows` and the range
  // start equally far into a page (a page-aligned buffer and a page-aligned row).
  void write(std::uint64_t begin, std::uint64_t count, const std::uint8_t* rows);
  // Makes every row written so far durable (fdatasync): only then may the unit be reported
  // done. Throws StoreError (the run's exit 2).
  void sync() const;

 private:
  std::string path_;
  RowPlacement placement_;
  int fd_ = -1;
  int direct_fd_ = -1;  // the same file opened with O_DIRECT; -1 where that is refused
};

}  // namespace imgshard::store
