// imgshard: discover, scatter, process, gather, write, report.
#include <optional>

#include <fmt/format.h>

#include "app/exit_codes.hpp"
#include "app/options.hpp"
#include "app/root.hpp"
#include "app/signals.hpp"
#include "app/test_hooks.hpp"
#include "comm/world.hpp"
#include "io/opencv_codecs.hpp"
#include "pipeline/batch.hpp"

using namespace imgshard;

int main(int argc, char** argv) {
  // Before MPI_Init (0.1-0.3 s): a stop signal in that window killed the ranks by its default
  // action (exit 138, and once in three tries an Open MPI PMIx hang in mpirun).
  app::install_stop_handlers();
  app::stall_point("start");  // test hook: IMGSHARD_TEST_STALL=start
  comm::World world(argc, argv);
  app::note_rank_process(world);  // test hook: IMGSHARD_TEST_PIDFILE
  metrics::PhaseTimers timers;

  app::Options options;
  if (const int code = app::parse_options(argc, argv, options, world.is_root()); code != app::kContinue) return code;
  // OpenCV's decoders load on a rank's first image that is not a JPEG: a broken install fails now.
  const std::string codecs_missing = io::opencv_codecs_missing();
  if (!codecs_missing.empty()) {
    const auto who = world.size() > 1 ? fmt::format("rank {} on {}: ", world.rank(), world.host()) : std::string();
    fmt::print(stderr, "imgshard: fatal: {}{}\n", who, codecs_missing);
  }
  if (world.any(!codecs_missing.empty())) return app::kExitFatal;

  std::optional<pipeline::Pipeline> pipeline;
  try {
    pipeline = pipeline::Pipeline::parse(options.pipeline);
  } catch (const kernels::KernelError& e) {
    if (world.is_root()) fmt::print(stderr, "imgshard: error: {}\n", e.what());
    return app::kExitUsage;
  }

  const int local_ranks = world.local_size();  // collective: every rank, before any exit below
  world.shares_node_with_root();               // learnt now, while every rank is here
  const pipeline::ThreadChoice choice = options.threads > 0 ? pipeline::ThreadChoice{options.threads, "--threads"}
                                                             : pipeline::default_threads(local_ranks);
  const int threads = choice.threads;
  pipeline::configure_threads(threads);
  const pipeline::BatchRunner runner(*pipeline, options.decode_options(),
                                     {.threads = threads, .dynamic = options.schedule == app::Schedule::dynamic, .gzip_level = options.gzip_level});

  const int code = world.is_root() ? app::run_as_root(world, options, *pipeline, runner, choice, timers)
                                    : app::run_as_worker(world, options, runner, threads, timers);
  world.barrier();  // workers wait for rank 0's last writes asleep, not spinning in MPI_Finalize
  return code;
}
