#pragma once
// Per-rank phase accounting: every second of a rank's wall time lands in exactly one phase.
#include <array>
#include <chrono>
#include <cstdint>
#include <string_view>

namespace imgshard::metrics {

enum class Phase : int { discover, plan, wait, read, decode, kernels, send, receive, write, other };
inline constexpr int kPhaseCount = 10;
inline constexpr std::array<std::string_view, kPhaseCount> kPhaseNames = {
    "discover", "plan", "wait", "read", "decode", "kernels", "send", "receive", "write", "other"};

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Counts that go beside the times in the report.
struct RankCounts {
  std::uint64_t images = 0;
  std::uint64_t units = 0;
  std::uint64_t bytes_read = 0;
  std::uint64_t bytes_sent = 0;      // to other ranks
  std::uint64_t bytes_received = 0;  // from other ranks
  std::uint64_t bytes_written = 0;   // of /images rows, into the output file by this rank
};

// The phase clock of one rank. Not thread-safe: only the rank's main thread scopes phases;
// OpenMP regions report their thread-summed split through `add_split`.
class PhaseTimers {
 public:
  class Scope {
   public:
    Scope(PhaseTimers& owner, Phase phase) : owner_(owner), phase_(phase), start_(Clock::now()) {}
    ~Scope() { owner_.add(phase_, seconds_since(start_)); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    PhaseTimers& owner_;
    Phase phase_;
    Clock::time_point start_;
  };

  PhaseTimers() : start_(Clock::now()) {}

  [[nodiscard]] Scope scope(Phase phase) { return Scope(*this, phase); }
  void add(Phase phase, double seconds) { seconds_[static_cast<int>(phase)] += seconds; }

  // Accounts `wall` seconds of a parallel region run by `threads` threads. `accounted` of
  // those seconds were already claimed by scopes on the main thread inside the region (rank
  // 0 answering MPI between images); the rest is split in proportion to thread time:
  // phase p gets its share of `thread_seconds`, and the time threads sat idle (waiting for
  // the slowest image) goes to `wait`. The phases still add up to the rank's wall time.
  void add_split(double wall, int threads, const std::array<double, kPhaseCount>& thread_seconds,
                 double accounted = 0.0);

  // Wall time since construction; `other` is whatever no scope claimed.
  double wall() const { return seconds_since(start_); }
  std::array<double, kPhaseCount> finish() const;

  RankCounts counts;

 private:
  Clock::time_point start_;
  std::array<double, kPhaseCount> seconds_{};
};

}  // namespace imgshard::metrics
