#pragma once
// The one HDF5 output file (layout in SPEC.md and README.md).
//
// Resume design: every dataset is created at its final size when the run starts (/status
// filled with 255 = pending). Rows are written as units arrive, in any order; every few
// seconds the file is flushed (H5Fflush) and synced to disk (fsync), and only then are the
// units written since the last checkpoint appended to a journal beside the file
// (OUT.journal, self-checking records: store/journal.hpp) and synced. --resume trusts only
// the journal: a unit is done when its record is there. `complete` = 1 is set last, and
// only when no row of /status is pending. A failed sync is a StoreError (the run's exit 2).
// HDF5 does not write its own structures atomically: after any failed write HDF5 writes
// nothing more into the file (h5::File::abandon), and a flush first allocates the room it
// needs (h5::File::flush), so that the file on disk is always one a flush left whole.
// HDF5 stays inside store/ (store/h5.hpp): nothing here needs its headers.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "metrics/report.hpp"
#include "store/error.hpp"
#include "store/journal.hpp"

namespace imgshard::store {

// /status of a row not written yet, the datasets' fill value. Not an outcome of reading an
// image (io::ImageStatus, 0 = ok): only an interrupted file holds it.
inline constexpr std::uint8_t kPendingStatus = 255;

// Where the rows of an uncompressed /images lie in the file: row i at offset + i x row_bytes.
// The block starts on a page (kRowPage) when it is 64 KiB or more, so that RowWriter can write
// the whole pages of a unit's rows around the page cache (O_DIRECT).
inline constexpr std::uint64_t kRowPage = 4096;  // any disk's logical block and more
struct RowPlacement {
  std::uint64_t offset = 0;
  std::uint64_t row_bytes = 0;
};

struct OutputSpec {
  std::uint64_t count = 0;
  std::vector<std::uint64_t> image_dims;  // one image: [H, W, C] or [C, H, W]
  bool float32 = false;                   // else uint8
  int gzip_level = -1;                    // -1: no compression
  std::vector<std::pair<std::string, std::string>> string_attributes;
  std::vector<std::pair<std::string, std::int64_t>> int_attributes;
  // Whether create() syncs the new file to disk before returning: needed when ranks on other
  // nodes write rows into it (they must find its structure on the shared file system first);
  // on one node the first checkpoint's fsync makes it durable before anything is journaled.
  bool sync_at_creation = true;
};

// One unit's rows as they go into the file: a view, the buffers stay the caller's.
struct RowBatch {
  std::uint64_t begin = 0;
  std::uint64_t count = 0;
  // count raw rows, or, when `chunk_bytes` is not empty, each row's chunk already compressed
  // as the dataset's filter would (zlib), back to back: stored as they are.
  std::span<const std::uint8_t> pixels;
  std::span<const std::uint32_t> chunk_bytes;
  std::span<const std::uint8_t> status;     // per row
  std::span<const std::string> errors;      // per row, "" when ok
  std::span<const std::int32_t> orig_shape; // count x 3
  bool rows_written = false;                // /images rows are in the file already (RowWriter)
};

// A string dataset of N rows, e.g. a CSV column stored as /meta/NAME.
struct StringColumn {
  std::string name;
  const std::vector<std::string>* values = nullptr;
};

// What rank 0 knows of every image before any pixel.
struct Catalog {
  const std::vector<std::string>& paths;
  const std::vector<std::int32_t>& labels;
  const std::vector<std::string>& label_names;
  std::vector<std::string> inputs = {};            // /inputs: the INPUT arguments as given
  std::span<const std::int32_t> input_index = {};  // /input_index per image; empty: all from input 0
  std::vector<StringColumn> meta = {};             // /meta/NAME, one row per image
};

class OutputFile {
 public:
  // Creates `path` with every dataset at its final size; removes a stale journal. An existing
  // file at `path` is unlinked first, never truncated in place (a reader of it keeps its
  // view): callers decide before whether it may go (--force).
  static OutputFile create(const std::string& path, const OutputSpec& spec, const Catalog& catalog);
  // Opens an existing output for --resume; throws StoreError when it cannot be read. The rows
  // of /errors the journal does not vouch for are reset, under HDF5, to the empty string:
  // a killed run may have left them pointing at strings that never reached the disk.
  static OutputFile reopen(const std::string& path);
  // Whether `path` is an HDF5 file whose `complete` attribute is 1 (false on any doubt).
  static bool is_complete(const std::string& path);

  // What --resume needs to know of an existing output, read without modifying it;
  // nullopt when it is no readable imgshard file, with the reason in `why`.
  struct State {
    std::string fingerprint;
    bool complete = false;
    std::uint64_t count = 0;
  };
  static std::optional<State> read_state(const std::string& path, std::string* why = nullptr);

  std::string fingerprint() const;
  bool complete() const;
  std::uint64_t count() const;
  // The ranges the journal says were written and flushed before.
  std::vector<IndexRange> journaled() const;

  // Where rows lie in the file, for RowWriter; nullopt when /images is chunked (compressed),
  // whose rows only rank 0 stores.
  std::optional<RowPlacement> row_placement() const;

  // Writes the rows of `batch` at their index, /status last; with `rows_written` only the
  // per-image datasets.
  void write_rows(const RowBatch& batch);
  // Starts the disk writes of everything written so far (any rank's rows on this node
  // included) without waiting, so that a checkpoint's sync waits for little.
  void start_writeback() const;
  // Flushes the file and syncs it to disk, then journals (and syncs) every range written
  // since the last checkpoint. Throws StoreError when any of it fails.
  void checkpoint();
  void set_attribute(const std::string& name, const std::string& value);
  void set_attribute(const std::string& name, std::int64_t value);
  void write_timings(const metrics::RunReport& report);
  // /input_errors: the folders this run could not list, "path: reason" (replaced each run).
  void write_input_errors(const std::vector<std::string>& errors);
  // Marks the file complete, closes it and drops the journal. Throws StoreError, leaving the
  // file incomplete, while any row of /status is still pending.
  void finish();
  // Checkpoints and closes the file, left incomplete (an interrupted run). Throws StoreError.
  void close();
  // How many rows of /status are still pending (255).
  std::uint64_t pending_rows() const;

  // Reading back, for the summary.
  std::vector<std::uint8_t> read_status(std::uint64_t begin, std::uint64_t count) const;
  std::vector<std::string> read_errors(std::uint64_t begin, std::uint64_t count) const;
  std::vector<std::string> read_paths(std::uint64_t begin, std::uint64_t count) const;
  // Every failed row (status neither ok nor pending), by index, as "path: reason": also the
  // rows of an earlier run, the file being the truth. Read a block of /status at a time.
  std::vector<std::pair<std::uint64_t, std::string>> failures() const;

  const std::string& path() const;

  OutputFile(OutputFile&&) noexcept;
  OutputFile& operator=(OutputFile&&) noexcept;
  ~OutputFile();

 private:
  struct Impl;
  explicit OutputFile(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace imgshard::store
