#pragma once
// Running the pipeline over the images of one work unit, spread over OpenMP threads.
// This is the only place that decides how images are spread over threads.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "io/archive.hpp"
#include "io/decode.hpp"
#include "metrics/phases.hpp"
#include "pipeline/page_buffer.hpp"
#include "pipeline/pipeline.hpp"

namespace imgshard::pipeline {

// The schedule knobs, in one place.
struct Schedule {
  int threads = 1;       // OpenMP threads of this rank
  bool dynamic = true;   // images handed to threads one at a time (else in equal blocks)
  int gzip_level = -1;   // >= 0: each row is compressed here, as HDF5's deflate filter would,
                         // so that rank 0 only stores chunks (-1: rows stay raw)
};

// A run of consecutive image indices [begin, begin + paths.size()).
struct WorkUnit {
  std::uint64_t id = 0;
  std::uint64_t begin = 0;
  std::vector<std::string> paths;             // the file, or the archive holding the member
  std::vector<io::MemberLocator> members;     // empty, or per image (kind none for plain files)

  const io::MemberLocator* member(std::size_t i) const {
    return i < members.size() && members[i].in_archive() ? &members[i] : nullptr;
  }
};

// A failed image's reason as /errors holds it, one line (SPEC): each line break, with the
// spaces around it, becomes one space, and none ends it (OpenCV's messages end in "\n").
std::string one_line(std::string text);

// What a unit gives back, row by row in index order.
struct UnitResult {
  std::uint64_t id = 0;
  std::uint64_t begin = 0;
  std::uint64_t count = 0;
  PageBuffer pixels;                       // count x row_bytes, zeros for failed images; or, with
                                           // compression, the rows' gzip'ed chunks back to back
  std::vector<std::uint32_t> chunk_bytes;  // with compression: each row's chunk size; else empty
  std::vector<std::uint8_t> status;        // io::ImageStatus per image
  std::vector<std::string> errors;         // "" when ok; else one line (one_line)
  std::vector<std::int32_t> orig_shape;    // count x 3: height, width, channels (0s when unknown)
  std::uint64_t bytes_read = 0;
  bool rows_written = false;               // the rows are in the output file already (written by
                                           // the rank that made them): `pixels` is not sent
  std::vector<std::vector<std::uint8_t>> chunks;  // scratch for compression, never sent

  std::uint64_t header_bytes() const;  // what the per-image metadata weighs on the wire

  std::uint64_t payload_bytes(std::size_t row_bytes) const;  // what `pixels` holds
};

class BatchRunner {
 public:
  BatchRunner(const Pipeline& pipeline, const io::DecodeOptions& decode, const Schedule& schedule);

  // Reads, decodes and transforms every image of `unit` into `result` (its buffers reused).
  // Adds the read/decode/kernels split of the elapsed time to `timers`. When given,
  // `between_images` runs on the rank's main thread after each image that thread finishes
  // (rank 0 answers MPI there, so its workers never wait for a whole unit); its time must be
  // claimed by its own scopes in `timers`.
  void run(const WorkUnit& unit, UnitResult& result, metrics::PhaseTimers& timers,
           const std::function<void()>& between_images = {}) const;

  std::size_t row_bytes() const { return row_bytes_; }

 private:
  const Pipeline& pipeline_;
  io::DecodeOptions decode_;
  Schedule schedule_;
  std::size_t row_bytes_;
  io::ShrinkLimit shrink_;
  bool tileable_;  // some step can run over row tiles
};

// Sets the OpenMP thread count and switches OpenCV's own threads off, so that ranks x
// threads is the whole parallelism. Call once per rank before any work.
void configure_threads(int threads);

// The default OpenMP threads of a rank: OMP_NUM_THREADS, else the rank's share of its node,
// the CPUs it may run on divided by the `local_ranks` of the job on that node (never more
// than its affinity mask allows), so R ranks under --bind-to none do not start R x CPUs.
struct ThreadChoice {
  int threads = 1;
  std::string why;  // for the start-up banner
};
ThreadChoice default_threads(int local_ranks);

}  // namespace imgshard::pipeline
