#pragma once
// Rank 0's progress display: a self-updating line on a terminal, a plain log line every few
// seconds otherwise (Slurm logs, CI), or nothing.
#include <cstdint>
#include <string_view>

#include "metrics/phases.hpp"

namespace imgshard::metrics {

enum class ProgressMode { automatic, bar, log, none };

class Progress {
 public:
  Progress(ProgressMode mode, std::uint64_t total, std::uint64_t already_done, double log_interval_s = 5.0);
  void update(std::uint64_t done_this_run, std::uint64_t failed);
  void finish();  // ends the bar's line

 private:
  void draw(std::uint64_t done, std::uint64_t failed, bool final);

  ProgressMode mode_;
  std::uint64_t total_, already_;
  double interval_;
  Clock::time_point start_, last_;
  bool drawn_ = false;
  std::uint64_t done_ = 0, failed_ = 0;
};

}  // namespace imgshard::metrics
