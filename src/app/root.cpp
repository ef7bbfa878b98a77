#include "app/root.hpp"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>
#include <sys/stat.h>

#include "app/exit_codes.hpp"
#include "app/fingerprint.hpp"
#include "app/output_layout.hpp"
#include "app/signals.hpp"
#include "app/test_hooks.hpp"
#include "app/version.hpp"
#include "comm/run.hpp"
#include "io/discover.hpp"
#include "metrics/progress.hpp"
#include "metrics/report.hpp"
#include "store/batch_writer.hpp"
#include "store/buffer_pool.hpp"
#include "store/open_for_run.hpp"
#include "store/run_lock.hpp"

namespace imgshard::app {
namespace {

using metrics::Phase;

constexpr std::size_t kFailuresShown = 10;
constexpr std::size_t kResultBuffers = 4;  // rank 0 fills one while the writer thread empties another

// What rank 0 prepares before any work: the collection, the output, the units to do.
struct Prepared {
  std::optional<store::RunLock> lock;  // held from before the output is looked at to the end
  io::Collection collection;
  std::optional<store::OutputFile> file;
  std::vector<comm::UnitSpan> units;
  std::uint64_t skipped = 0;  // images an earlier run did
};

// The new output could not be written (a full disk): a runtime failure (exit 2), not the
// user's; OutputFile::create left no file behind, so the same command works once there is room.
struct OutputNotCreated : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The input a file this run writes (the output, the report) already is, if any: --force
// would destroy that input and the run then read its own output. Stats the INPUT
// arguments, and of the images only those with the written file's name (cheap for
// millions); links are followed on both sides.
std::optional<std::string> written_over_input(const std::string& written, const io::Collection& c) {
  struct stat w {};
  if (::stat(written.c_str(), &w) != 0) return std::nullopt;  // not there yet: none of the inputs
  const auto same = [&](const std::string& p) {
    struct stat s {};
    return ::stat(p.c_str(), &s) == 0 && s.st_dev == w.st_dev && s.st_ino == w.st_ino;
  };
  for (const auto& input : c.inputs)
    if (same(input.starts_with('@') ? input.substr(1) : input)) return input;
  const std::string name = std::filesystem::path(written).filename().string();
  const std::string slash_name = "/" + name;
  const auto named = [&](const std::string& p) { return p.ends_with(slash_name) || p == name; };
  const std::string* last = nullptr;
  for (const auto& image : c.images) {
    if (last && *last == image.path) continue;  // the members of one archive
    last = &image.path;
    if (named(image.path) && same(image.path)) return image.path;
  }
  return std::nullopt;
}

struct BadWriteTarget : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Refuses (exit 1, before anything is written) an output or report that is one of the
// inputs, a report that is the output, or a report in a folder that does not exist (the
// run would end with a warning and no report).
void refuse_bad_write_targets(const Options& o, const io::Collection& c) {
  if (const auto input = written_over_input(o.output, c))
    throw BadWriteTarget(fmt::format(
        "the output {} is one of the inputs ({}): imgshard never writes over what it reads; choose another output",
        o.output, *input));
  if (o.report.empty()) return;
  std::error_code ec, ec_out;
  const auto folder = std::filesystem::path(o.report).parent_path();
  if (!folder.empty() && !std::filesystem::is_directory(folder, ec))
    throw BadWriteTarget(fmt::format("--report {}: the folder {} does not exist", o.report, folder.string()));
  const auto report = std::filesystem::weakly_canonical(o.report, ec);
  if (!ec && report == std::filesystem::weakly_canonical(o.output, ec_out) && !ec_out)
    throw BadWriteTarget(fmt::format("--report {} is the output file: give the report a name of its own", o.report));
  if (const auto input = written_over_input(o.report, c))
    throw BadWriteTarget(fmt::format(
        "--report {} is one of the inputs ({}): imgshard never writes over what it reads; choose another name",
        o.report, *input));
}

int usage_error(const std::exception& e) {
  fmt::print(stderr, "imgshard: error: {}\n", e.what());
  return kExitUsage;
}

// Discovers, then plans: the output created or resumed, the units left. Returns kContinue
// with `job` filled, or the exit code every rank ends with.
int prepare(const Options& o, const pipeline::Pipeline& p, int ranks, bool one_node, metrics::PhaseTimers& timers,
            Prepared& job) try {
  job.lock.emplace(o.output);  // one run per output: before anything of it is looked at
  {
    auto t = timers.scope(Phase::discover);
    job.collection = io::discover(o.inputs, o.discover_options());
  }
  for (const auto& e : job.collection.input_errors) fmt::print(stderr, "imgshard: warning: {} (skipped)\n", e);
  stall_point("discovered");
  refuse_bad_write_targets(o, job.collection);
  auto t = timers.scope(Phase::plan);
  const std::uint64_t n = job.collection.images.size();
  const std::string fingerprint = run_fingerprint(o, p, job.collection);
  const auto unit = comm::unit_rows(p.output_shape().bytes(), std::uint64_t(o.chunk));
  if (!unit.capped.empty()) fmt::print(stderr, "imgshard: {}\n", unit.capped);
  const auto if_exists = o.resume ? store::IfExists::resume : o.force ? store::IfExists::replace : store::IfExists::refuse;
  auto opened = store::open_for_run(o.output, if_exists, fingerprint, n, [&] {
    try {
      return create_output(o, p, job.collection, fingerprint, one_node);
    } catch (const store::StoreError& e) {
      throw OutputNotCreated(e.what());
    }
  });
  if (opened.outcome == store::OpenedOutput::refused) {
    fmt::print(stderr, "imgshard: error: {}\n", opened.message);
    return kExitUsage;
  }
  if (!opened.message.empty()) fmt::print(opened.file ? stderr : stdout, "imgshard: {}\n", opened.message);
  if (!opened.file) return kExitOk;  // complete already
  job.file = std::move(opened.file);
  stall_point("created");
  std::vector<comm::Range> done;
  for (const auto& d : opened.done) {
    done.push_back({d.begin, d.count});
    job.skipped += d.count;
  }
  job.units = comm::plan_units(n, unit.rows, done, ranks);
  return kContinue;
} catch (const io::DiscoveryError& e) {
  return usage_error(e);
} catch (const OutputNotCreated& e) {
  fmt::print(stderr, "imgshard: fatal: {}\n", e.what());
  return kExitFatal;
} catch (const store::StoreError& e) {
  return usage_error(e);
} catch (const std::length_error& e) {
  return usage_error(e);
} catch (const BadWriteTarget& e) {
  return usage_error(e);
}

// Where every rank writes its own /images rows, as rank 0 says (collective): uncompressed
// rows, whose place in the file is fixed. nullopt: rank 0 stores every row (--writer root,
// or compressed chunks, whose sizes nobody knows in advance).
std::optional<store::RowPlacement> share_placement(comm::World& world, std::optional<store::RowPlacement> placement) {
  std::vector<std::uint64_t> words{placement ? placement->offset : 0, placement ? placement->row_bytes : 0};
  world.share_from_root(words);
  if (words.size() != 2 || words[1] == 0) return std::nullopt;
  return store::RowPlacement{words[0], words[1]};
}

// A unit's paths, and its archive members' locators when it has any.
pipeline::WorkUnit work_unit(const io::Collection& c, const comm::UnitSpan& span) {
  pipeline::WorkUnit unit{span.id, span.begin, {}, {}};
  const auto first = c.images.begin() + std::ptrdiff_t(span.begin), last = first + std::ptrdiff_t(span.count);
  const bool members = std::any_of(first, last, [](const auto& image) { return image.member.in_archive(); });
  unit.paths.reserve(span.count);
  for (auto image = first; image != last; ++image) {
    unit.paths.push_back(image->path);
    if (members) unit.members.push_back(image->member);
  }
  return unit;
}

store::RowBatch rows_of(const pipeline::UnitResult& r) {
  return {r.begin, r.count, r.pixels, r.chunk_bytes, r.status, r.errors, r.orig_shape, r.rows_written};
}

// The end of the file: what the run was (ranks, timings, unlistable folders), its failures
// read back into `report`, then finished, or checkpointed for --resume when interrupted.
void finish_output(store::OutputFile& file, const io::Collection& c, metrics::RunReport& report, bool interrupted) {
  file.set_attribute("mpi_ranks", std::int64_t(report.mpi_ranks));
  file.set_attribute("omp_threads", std::int64_t(report.omp_threads));
  file.set_attribute("schedule", report.schedule);
  file.write_input_errors(c.input_errors);
  file.write_timings(report);
  report.failures = file.failures();
  report.failed = report.failures.size();
  if (interrupted) return file.close();
  stall_point("finishing");
  file.finish();
}

// The summary on stdout (and --report), and the run's exit code.
int report_run(const Options& o, const metrics::RunReport& report, const io::Collection& c, bool interrupted,
               bool strict_stop) {
  if (!o.report.empty()) {
    try {
      metrics::write_json(report, o.report);
    } catch (const std::exception& e) {
      fmt::print(stderr, "imgshard: warning: {}\n", e.what());
    }
  }
  fmt::print("{}\n", metrics::summary_line(report));
  for (std::size_t i = 0; i < std::min(kFailuresShown, report.failures.size()); ++i)
    fmt::print("  failed [{}] {}\n", report.failures[i].first, report.failures[i].second);
  if (report.failures.size() > kFailuresShown)
    fmt::print("  ... and {} more (see /status and /errors, or --report)\n", report.failures.size() - kFailuresShown);
  if (interrupted) {
    fmt::print(stderr, "imgshard: {}: {} of {} images done; run the same command with --resume to finish\n",
               strict_stop ? "stopped at the first failure (--strict)" : "interrupted",
               report.skipped + report.processed, report.images);
    fmt::print("output: {} (incomplete)\n", o.output);
    return strict_stop ? kExitSomeFailed : kExitInterrupted;
  }
  if (const auto skipped = c.input_errors.size())
    fmt::print("  {} folder(s) could not be listed and were skipped (see /input_errors)\n", skipped);
  fmt::print("output: {}\n", o.output);
  return report.failed || !c.input_errors.empty() ? kExitSomeFailed : kExitOk;
}

// What the units came to: the ranks' reports, and whether the run stopped early.
struct Gathered {
  comm::RunOutcome outcome;
  std::uint64_t processed = 0;
  bool strict_stop = false;  // --strict and an image failed
};

// Scatters the units and gathers their results into the file: rank 0 computes or receives
// a unit while the writer thread writes the previous one.
Gathered scatter_and_gather(comm::World& world, const Options& o, const pipeline::BatchRunner& runner, int threads,
                            metrics::PhaseTimers& timers, Prepared& job,
                            const std::optional<store::RowPlacement>& placement) {
  Gathered g;
  metrics::Progress progress(o.progress, job.collection.images.size(), job.skipped);
  std::uint64_t failed = 0, units_written = 0;
  store::BufferPool<pipeline::UnitResult> pool(kResultBuffers);
  store::BatchWriter writer(*job.file, placement, o.checkpoint_seconds);  // after the pool: it drains into it
  comm::RootHooks hooks;
  hooks.make_unit = [&](const comm::UnitSpan& span) { return work_unit(job.collection, span); };
  hooks.acquire = [&]() -> pipeline::UnitResult& { return pool.acquire(); };
  hooks.submit = [&](pipeline::UnitResult& r) {
    if (writer.failed()) writer.drain();  // rethrows the write error: fatal
    if (!r.rows_written) timers.counts.bytes_written += r.payload_bytes(runner.row_bytes());
    const auto bad = std::uint64_t(std::count_if(r.status.begin(), r.status.end(), [](auto s) { return s != 0; }));
    g.processed += r.count;
    failed += bad;
    g.strict_stop = g.strict_stop || (bad && o.strict);
    writer.post(rows_of(r), [&pool, &r] { pool.release(r); });
    progress.update(g.processed, failed);
    const auto point = fmt::format("unit:{}", ++units_written);
    if (stall_wanted(point)) writer.drain();  // "after the K-th unit is written" (and journaled, when due)
    stall_point(point);
  };
  hooks.stop_requested = [&] { return g.strict_stop || stop_requested(); };
  try {
    comm::UnitQueue queue(job.units, world.size(), o.schedule == Schedule::dynamic);
    g.outcome = comm::run_root(world, queue, runner, hooks, timers, {0, world.host(), threads, {}, 0.0, {}});
    auto t = timers.scope(Phase::write);
    writer.drain();
  } catch (const std::exception& e) {
    fmt::print(stderr, "\nimgshard: fatal: {}\n", e.what());
    world.abort(kExitFatal);
  }
  progress.finish();
  return g;
}

}  // namespace

int run_as_root(comm::World& world, const Options& o, const pipeline::Pipeline& p, const pipeline::BatchRunner& runner,
                const pipeline::ThreadChoice& thread_choice, metrics::PhaseTimers& timers) {
  // Discover and plan.
  Prepared job;
  const bool one_node = world.local_size() == world.size();  // every rank on rank 0's node
  if (const int code = world.agree_on_exit_code(prepare(o, p, world.size(), one_node, timers, job)); code != kContinue)
    return code;
  const int threads = thread_choice.threads;
  const std::uint64_t total = job.collection.images.size();
  const auto placement = share_placement(world, o.writer == Writer::ranks ? job.file->row_placement() : std::nullopt);
  fmt::print(stderr,
             "imgshard {}: {} images{} -> {} | {} | {} rank(s) x {} thread(s) ({}), {} schedule, chunk {}, {}\n",
             kVersion, total, job.skipped ? fmt::format(" ({} already done)", job.skipped) : "", o.output,
             p.canonical(), world.size(), threads, thread_choice.why, word(o.schedule), o.chunk,
             placement ? "every rank writes its rows" : "rank 0 writes every row");

  // Scatter, gather, write.
  auto [outcome, processed, strict_stop] = scatter_and_gather(world, o, runner, threads, timers, job, placement);

  // Report: into the file, then to the user.
  metrics::RunReport report{.imgshard_version = kVersion, .pipeline = p.canonical(),
                            .wall_seconds = outcome.ranks.empty() ? timers.wall() : outcome.ranks[0].wall_seconds,
                            .images = total, .processed = processed, .skipped = job.skipped,
                            .mpi_ranks = world.size(), .omp_threads = threads, .schedule = word(o.schedule),
                            .chunk = o.chunk, .ranks = std::move(outcome.ranks)};
  try {
    finish_output(*job.file, job.collection, report, outcome.interrupted);
  } catch (const std::exception& e) {
    fmt::print(stderr, "imgshard: fatal: {}\n", e.what());
    return kExitFatal;
  }
  return report_run(o, report, job.collection, outcome.interrupted, strict_stop);
}

int run_as_worker(comm::World& world, const Options& o, const pipeline::BatchRunner& runner, int threads,
                  metrics::PhaseTimers& timers) {
  const int code = world.agree_on_exit_code(kContinue);
  if (code != kContinue) return code;
  const auto placement = share_placement(world, std::nullopt);
  // On rank 0's node, its checkpoint fsync makes our rows durable with its own (one page
  // cache); on another node only our own sync does, before the unit is reported.
  const bool sync_each_unit = !world.shares_node_with_root();
  try {
    std::optional<store::RowWriter> rows;
    std::function<void(pipeline::UnitResult&)> write_rows;
    if (placement) {
      rows.emplace(o.output, *placement);
      write_rows = [&](pipeline::UnitResult& r) {
        rows->write(r.begin, r.count, r.pixels.data());
        if (sync_each_unit) rows->sync();
        r.rows_written = true;
        timers.counts.bytes_written += r.count * placement->row_bytes;
      };
    }
    comm::run_worker(world, runner, stop_requested, write_rows, timers,
                     {world.rank(), world.host(), threads, {}, 0.0, {}});
  } catch (const store::StoreError& e) {
    fmt::print(stderr, "\nimgshard: fatal: rank {}: {}\n", world.rank(), e.what());
    world.abort(kExitFatal);
  }
  return kExitOk;  // rank 0's exit code is the run's
}

}  // namespace imgshard::app
