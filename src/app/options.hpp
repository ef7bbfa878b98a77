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

struct Options {
  std::vector<std::string> inputs;
  std::string output;
  std::string pipeline = "resize=224:224";
  std::string decode = "exact";
  int threads = 0;  // 0: OMP_NUM_THREADS, else the CPUs this rank may use
  std::string schedule = "dynamic";
  int chunk = 64;
  io::LabelMode labels = io::LabelMode::automatic;
  io::ManifestColumns csv;  // --csv-path, --csv-label
  std::string csv_root;     // --csv-root
  int gzip_level = -1;  // -1: none
  std::string compress = "none";
  bool resume = false;
  bool force = false;
  bool strict = false;
  std::uint64_t max_pixels = io::kDefaultMaxPixels;
  std::uint64_t max_file_bytes = io::kDefaultMaxFileBytes;
  io::FailOn fail_on = io::FailOn::warning;
  // --fail-on's word, as root.cpp records it (fingerprint, /attrs): set from fail_on by
  // parse_options. To go once root.cpp takes the word from the option's table.
  std::string fail_on_name = "warning";
  std::string report;
  Writer writer = Writer::ranks;
  double checkpoint_seconds = 2.0;  // flush + journal at most this often
  metrics::ProgressMode progress = metrics::ProgressMode::automatic;

  io::DecodeOptions decode_options() const {
    return {.max_pixels = max_pixels, .max_file_bytes = max_file_bytes, .fail_on = fail_on,
            .shrink_on_load = decode == "fast"};
  }
  io::DiscoverOptions discover_options() const { return {labels, csv, csv_root}; }
};

// Parses the command line (every rank does, identically). Returns kContinue, or the exit
// code when the run ends here (--help, --version, --list-kernels: 0; a usage error: 1).
// Only `print` (rank 0) writes to the terminal.
int parse_options(int argc, char** argv, Options& options, bool print);

}  // namespace imgshard::app
