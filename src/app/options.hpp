#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "io/decode.hpp"
#include "io/discover.hpp"
#include "metrics/progress.hpp"

namespace imgshard::app {

// Who writes the rows of /images: every rank its own (default), or rank 0 all of them.
enum class Writer { ranks, root };
// --decode: the whole image, or JPEGs at a reduced DCT scale before the first resize.
enum class Decode { exact, fast };
// --schedule: unit k to rank k % ranks, dealt up front (static_), or to whichever rank asks
// first (dynamic); also OpenMP's schedule over a unit's images.
enum class Schedule { static_, dynamic };

// The word of each choice, as the command line spells it and the output file and the run's
// fingerprint record it: read from the option's own table (options.cpp), never respelled.
const std::string& word(Decode value);
const std::string& word(Schedule value);
const std::string& word(io::FailOn value);
// --compress's word for a gzip level: "none" (-1), "gzip" (4, the default level), "gzip=N".
const std::string& compress_word(int gzip_level);

struct Options {
  std::vector<std::string> inputs;
  std::string output;
  std::string pipeline = "resize=224:224";
  Decode decode = Decode::exact;
  int threads = 0;  // 0: OMP_NUM_THREADS, else the CPUs this rank may use
  Schedule schedule = Schedule::dynamic;
  int chunk = 64;
  io::LabelMode labels = io::LabelMode::automatic;
  io::ManifestColumns csv;  // --csv-path, --csv-label
  std::string csv_root;     // --csv-root
  int gzip_level = -1;  // --compress: -1 none, else gzip at this level (0-9)
  bool resume = false;
  bool force = false;
  bool strict = false;
  std::uint64_t max_pixels = io::kDefaultMaxPixels;
  std::uint64_t max_file_bytes = io::kDefaultMaxFileBytes;
  io::FailOn fail_on = io::FailOn::warning;
  std::string report;
  Writer writer = Writer::ranks;
  double checkpoint_seconds = 0.5;  // flush + journal at most this often
  metrics::ProgressMode progress = metrics::ProgressMode::automatic;

  io::DecodeOptions decode_options() const {
    return {.max_pixels = max_pixels, .max_file_bytes = max_file_bytes, .fail_on = fail_on,
            .shrink_on_load = decode == Decode::fast};
  }
  io::DiscoverOptions discover_options() const { return {labels, csv, csv_root}; }
};

// Parses the command line (every rank does, identically). Returns kContinue, or the exit
// code when the run ends here (--help, --version, --list-kernels: 0; a usage error: 1).
// Only `print` (rank 0) writes to the terminal.
int parse_options(int argc, char** argv, Options& options, bool print);

}  // namespace imgshard::app
