#pragma once
// The run report: what --report writes as JSON and store/ writes under /timings.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "metrics/phases.hpp"

namespace imgshard::metrics {

struct RankReport {
  int rank = 0;
  std::string host;
  int threads = 1;
  RankCounts counts;
  double wall_seconds = 0.0;
  std::array<double, kPhaseCount> phases{};
};

struct RunReport {
  std::string imgshard_version;
  std::string pipeline;
  double wall_seconds = 0.0;
  std::uint64_t images = 0;   // images in the collection
  std::uint64_t processed = 0;  // images processed by this run (fewer on --resume)
  std::uint64_t skipped = 0;    // images already done by an earlier, interrupted run
  std::uint64_t failed = 0;
  int mpi_ranks = 1;
  int omp_threads = 1;
  std::string schedule;
  int chunk = 0;
  std::vector<RankReport> ranks;
  // Every failure, by image index: the JSON lists them all.
  std::vector<std::pair<std::uint64_t, std::string>> failures;

  double images_per_s() const { return wall_seconds > 0 ? processed / wall_seconds : 0.0; }
};

nlohmann::json to_json(const RunReport& report);
void write_json(const RunReport& report, const std::string& path);

// One line for the end of a run: images, failed, seconds, img/s and the biggest phases.
std::string summary_line(const RunReport& report);

}  // namespace imgshard::metrics
