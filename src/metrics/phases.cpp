#include "metrics/phases.hpp"

#include <algorithm>
#include <numeric>

namespace imgshard::metrics {

void PhaseTimers::add_split(double wall, int threads, const std::array<double, kPhaseCount>& thread_seconds,
                            double accounted) {
  const double remaining = std::max(0.0, wall - accounted);
  const double capacity = std::max(wall * std::max(threads, 1) - accounted, 1e-12);
  double busy = std::accumulate(thread_seconds.begin(), thread_seconds.end(), 0.0);
  // Clocks of different threads can make busy exceed capacity by a hair: scale to fit.
  const double scale = busy > capacity ? capacity / busy : 1.0;
  busy *= scale;
  for (int p = 0; p < kPhaseCount; ++p) seconds_[p] += remaining * thread_seconds[p] * scale / capacity;
  add(Phase::wait, remaining * (capacity - busy) / capacity);
}

std::array<double, kPhaseCount> PhaseTimers::finish() const {
  auto result = seconds_;
  const double claimed = std::accumulate(result.begin(), result.end(), 0.0);
  result[static_cast<int>(Phase::other)] += std::max(0.0, wall() - claimed);
  return result;
}

}  // namespace imgshard::metrics
