#pragma once
// Rank 0's side of a run: discover, prepare the output, scatter, gather, write, report.
#include "app/options.hpp"
#include "comm/world.hpp"
#include "metrics/phases.hpp"
#include "pipeline/batch.hpp"

namespace imgshard::app {

int run_as_root(comm::World& world, const Options& options, const pipeline::Pipeline& pipeline,
                const pipeline::BatchRunner& runner, const pipeline::ThreadChoice& threads,
                metrics::PhaseTimers& timers);

int run_as_worker(comm::World& world, const Options& options, const pipeline::BatchRunner& runner, int threads,
                  metrics::PhaseTimers& timers);

}  // namespace imgshard::app
