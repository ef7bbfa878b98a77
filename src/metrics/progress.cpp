#include "metrics/progress.hpp"

#include <cstdio>
#include <string>

#include <fmt/format.h>
#include <unistd.h>

namespace imgshard::metrics {

Progress::Progress(ProgressMode mode, std::uint64_t total, std::uint64_t already_done, double log_interval_s)
    : mode_(mode), total_(total), already_(already_done), interval_(log_interval_s), start_(Clock::now()), last_(start_) {
  if (mode_ == ProgressMode::automatic) mode_ = ::isatty(STDERR_FILENO) ? ProgressMode::bar : ProgressMode::log;
  if (mode_ == ProgressMode::bar) interval_ = 0.2;
}

void Progress::update(std::uint64_t done_this_run, std::uint64_t failed) {
  done_ = done_this_run;
  failed_ = failed;
  if (mode_ == ProgressMode::none) return;
  if (seconds_since(last_) < interval_) return;
  last_ = Clock::now();
  draw(done_, failed_, false);
}

void Progress::finish() {
  // The last state is always shown: a log gets its closing line even for a short run.
  if (mode_ == ProgressMode::log) draw(done_, failed_, true);
  if (mode_ == ProgressMode::bar && drawn_) {
    draw(done_, failed_, true);
    std::fputc('\n', stderr);
  }
}

void Progress::draw(std::uint64_t done, std::uint64_t failed, bool final) {
  const double elapsed = seconds_since(start_);
  const double rate = elapsed > 0 ? done / elapsed : 0.0;
  const std::uint64_t all_done = already_ + done;
  const double left = rate > 0 ? (total_ - std::min(all_done, total_)) / rate : 0.0;
  const double share = total_ ? double(all_done) / total_ : 1.0;
  const std::string eta = final ? fmt::format("{:.1f} s", elapsed) : fmt::format("ETA {:.0f} s", left);
  if (mode_ == ProgressMode::bar) {
    constexpr int kWidth = 30;
    const int filled = int(share * kWidth);
    fmt::print(stderr, "\r[{}{}] {}/{} {:.1f} img/s {} failed {}\x1b[K", std::string(filled, '#'),
               std::string(kWidth - filled, '.'), all_done, total_, rate, eta, failed);
  } else {
    fmt::print(stderr, "imgshard: {}/{} images ({:.0f}%), {:.1f} img/s, {}, {} failed\n", all_done, total_,
               100.0 * share, rate, final ? "done in " + eta : eta, failed);
  }
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace imgshard::metrics
