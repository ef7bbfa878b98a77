#include "metrics/report.hpp"

#include <algorithm>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace imgshard::metrics {

nlohmann::json to_json(const RunReport& report) {
  nlohmann::json ranks = nlohmann::json::array();
  for (const auto& r : report.ranks) {
    nlohmann::json phases = nlohmann::json::object();
    for (int p = 0; p < kPhaseCount; ++p) phases[std::string(kPhaseNames[p])] = r.phases[p];
    ranks.push_back({{"rank", r.rank},
                     {"host", r.host},
                     {"threads", r.threads},
                     {"images", r.counts.images},
                     {"units", r.counts.units},
                     {"bytes_read", r.counts.bytes_read},
                     {"bytes_sent", r.counts.bytes_sent},
                     {"bytes_received", r.counts.bytes_received},
                     {"bytes_written", r.counts.bytes_written},
                     {"wall_seconds", r.wall_seconds},
                     {"phases", phases}});
  }
  nlohmann::json failures = nlohmann::json::array();
  for (const auto& [index, reason] : report.failures) failures.push_back({{"index", index}, {"error", reason}});
  return {{"imgshard_version", report.imgshard_version},
          {"pipeline", report.pipeline},
          {"wall_seconds", report.wall_seconds},
          {"images", report.images},
          {"processed", report.processed},
          {"skipped", report.skipped},
          {"failed", report.failed},
          {"images_per_s", report.images_per_s()},
          {"mpi_ranks", report.mpi_ranks},
          {"omp_threads", report.omp_threads},
          {"schedule", report.schedule},
          {"chunk", report.chunk},
          {"ranks", ranks},
          {"failures", failures}};
}

void write_json(const RunReport& report, const std::string& path) {
  std::ofstream out(path);
  if (!out) throw std::runtime_error(fmt::format("cannot write report {}", path));
  out << to_json(report).dump(2) << '\n';
  if (!out) throw std::runtime_error(fmt::format("cannot write report {}", path));
}

std::string summary_line(const RunReport& report) {
  // Share of each phase in the summed rank time, biggest three.
  std::array<double, kPhaseCount> total{};
  double all = 0.0;
  for (const auto& r : report.ranks)
    for (int p = 0; p < kPhaseCount; ++p) {
      total[p] += r.phases[p];
      all += r.phases[p];
    }
  std::array<int, kPhaseCount> order{};
  for (int p = 0; p < kPhaseCount; ++p) order[p] = p;
  std::sort(order.begin(), order.end(), [&](int a, int b) { return total[a] > total[b]; });
  std::string shares;
  for (int i = 0; i < 3 && all > 0; ++i)
    shares += fmt::format("{}{} {:.0f}%", i ? ", " : "", kPhaseNames[order[i]], 100.0 * total[order[i]] / all);
  std::string skipped = report.skipped ? fmt::format(" ({} already done)", report.skipped) : "";
  // A run that stopped early says how far it got, never just the collection's size.
  const std::uint64_t done = report.skipped + report.processed;
  const std::string count = done < report.images ? fmt::format("{} of {}", done, report.images)
                                                 : fmt::format("{}", report.images);
  return fmt::format("imgshard: {} images{}, {} failed, {:.2f} s, {:.1f} img/s on {} rank(s) x {} thread(s); {}",
                     count, skipped, report.failed, report.wall_seconds, report.images_per_s(),
                     report.mpi_ranks, report.omp_threads, shares);
}

}  // namespace imgshard::metrics
