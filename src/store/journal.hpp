#pragma once
// The resume journal beside an output (OUT.journal): which rows are durable on disk.
//
// One record per line, appended and fsync'd only after the output's own data was synced:
//     <begin> <count> <crc>\n
// where <crc> is the CRC-32 (8 hex digits) of "<begin> <count> <fingerprint>", the
// fingerprint being the output's own. A record that is torn (a kill or a full disk in the
// middle of a write), garbled, or written for another run's file fails its check and is
// ignored: its rows are simply done again. A line is never misread as another range.
#include <cstdint>
#include <string>
#include <vector>

#include "store/error.hpp"

namespace imgshard::store {

// A half-open run of image indices [begin, begin + count).
struct IndexRange {
  std::uint64_t begin = 0;
  std::uint64_t count = 0;
};

class Journal {
 public:
  Journal() = default;
  Journal(std::string path, std::string fingerprint);

  const std::string& path() const { return path_; }
  // The rows of every record that passes its check and lies within [0, rows), as sorted
  // ranges, overlapping and adjacent ones merged.
  std::vector<IndexRange> read(std::uint64_t rows) const;
  // Appends one record per range and syncs the journal; throws StoreError on any failure.
  void append(const std::vector<IndexRange>& ranges) const;
  void remove() const;

  // The record for one range (without its newline), and whether `line` is a valid record.
  std::string record(const IndexRange& range) const;
  bool parse(const std::string& line, IndexRange& range) const;

 private:
  std::string path_;
  std::string fingerprint_;
};

std::string journal_path(const std::string& output_path);

}  // namespace imgshard::store
