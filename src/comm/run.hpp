#pragma once
// The distributed run: rank 0 hands out work units and receives results (and works itself
// when it has nothing else to do); the other ranks process the units they are given.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "comm/schedule.hpp"
#include "comm/world.hpp"
#include "metrics/report.hpp"
#include "pipeline/batch.hpp"

namespace imgshard::comm {

// Units kept in flight per worker, so a worker never waits for rank 0 between two units.
inline constexpr int kUnitsInFlight = 2;

// A unit's pixels travel as one MPI message (an int count) and sit in a few buffers on rank 0.
inline constexpr std::uint64_t kMaxUnitBytes = 256ull << 20;
inline constexpr std::uint64_t kMaxImageBytes = 1ull << 30;  // one image alone: one message, one chunk
// Images per unit for images of `row_bytes`: `wanted` (--chunk), fewer when the unit would
// exceed kMaxUnitBytes, at least 1; `capped` tells the user why there are fewer ("" when
// not). Throws std::length_error, before any work, for an image over kMaxImageBytes.
struct UnitRows {
  std::uint64_t rows = 0;
  std::string capped;
};
UnitRows unit_rows(std::uint64_t row_bytes, std::uint64_t wanted);

struct RootHooks {
  std::function<pipeline::WorkUnit(const UnitSpan&)> make_unit;  // the unit's paths
  std::function<pipeline::UnitResult&()> acquire;                 // a free result buffer (may wait)
  std::function<void(pipeline::UnitResult&)> submit;              // a filled buffer, to be written
  std::function<bool()> stop_requested;                           // this rank was signalled
};

struct RunOutcome {
  bool interrupted = false;                 // stopped early: some units were not handed out
  std::vector<metrics::RankReport> ranks;   // rank 0 only: every rank's report
};

// Rank 0. `self` is rank 0's report, filled with its timers at the end.
RunOutcome run_root(World& world, UnitQueue& queue, const pipeline::BatchRunner& runner, const RootHooks& hooks,
                    metrics::PhaseTimers& timers, metrics::RankReport self);

// Every other rank: processes the units rank 0 sends until it says stop, then sends its report.
// With `write_rows`, each unit's rows go into the output file here (it must leave them durable
// and set rows_written), and only the per-image metadata travels to rank 0.
void run_worker(World& world, const pipeline::BatchRunner& runner, const std::function<bool()>& stop_requested,
                const std::function<void(pipeline::UnitResult&)>& write_rows, metrics::PhaseTimers& timers,
                metrics::RankReport self);

}  // namespace imgshard::comm
