#include "metrics/phases.hpp"

#include <algorithm>
#include <numeric>

namespace imgshard::metrics {

void PhaseTimers::add_split(double wall, const std::array<double, kPhaseCount>& thread_seconds) {
  const double total = std::accumulate(thread_seconds.begin(), thread_seconds.end(), 0.0);
  if (total <= 0.0) {
    add(Phase::other, wall);
    return;
  }
  for (int p = 0; p < kPhaseCount; ++p) seconds_[p] += wall * thread_seconds[p] / total;
}

std::array<double, kPhaseCount> PhaseTimers::finish() const {
  auto result = seconds_;
  const double claimed = std::accumulate(result.begin(), result.end(), 0.0);
  result[static_cast<int>(Phase::other)] += std::max(0.0, wall() - claimed);
  return result;
}

}  // namespace imgshard::metrics
