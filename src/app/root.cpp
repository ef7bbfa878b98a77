#include "app/root.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <optional>

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "app/exit_codes.hpp"
#include "app/fingerprint.hpp"
#include "app/signals.hpp"
#include "app/version.hpp"
#include "comm/run.hpp"
#include "io/discover.hpp"
#include "metrics/progress.hpp"
#include "metrics/report.hpp"
#include "store/output_file.hpp"
#include "store/row_writer.hpp"
#include "store/run_lock.hpp"
#include "store/writer_thread.hpp"

namespace imgshard::app {
namespace {

using metrics::Phase;

constexpr std::size_t kFailuresShown = 10;
constexpr std::size_t kResultBuffers = 4;

// A fixed set of result buffers, handed out and returned across rank 0's threads.
class ResultPool {
 public:
  explicit ResultPool(std::size_t size) : buffers_(size) {
    for (auto& b : buffers_) free_.push_back(&b);
  }
  pipeline::UnitResult& acquire() {
    std::unique_lock lock(mutex_);
    returned_.wait(lock, [&] { return !free_.empty(); });
    pipeline::UnitResult* b = free_.back();
    free_.pop_back();
    return *b;
  }
  void release(pipeline::UnitResult& b) {
    {
      std::lock_guard lock(mutex_);
      free_.push_back(&b);
    }
    returned_.notify_one();
  }

 private:
  std::vector<pipeline::UnitResult> buffers_;  // never resized: addresses stay valid
  std::vector<pipeline::UnitResult*> free_;
  std::mutex mutex_;
  std::condition_variable returned_;
};

// Test hook: IMGSHARD_TEST_STALL=<point> makes rank 0 say "test stall at <point>" on stderr
// and sleep there (until a signal), so tests can SIGKILL or signal a run at a known moment.
// Points: discovered, created, unit:K (after the K-th unit is written), finishing.
// With IMGSHARD_TEST_STALL_ONCE=<file>, only the run that creates <file> stalls: a requeued
// or resumed job, which inherits the environment, then runs through.
bool stall_wanted(const std::string& point) {
  static const char* wanted = std::getenv("IMGSHARD_TEST_STALL");
  return wanted && point == wanted;
}

void stall_point(const std::string& point) {
  if (!stall_wanted(point)) return;
  if (const char* once = std::getenv("IMGSHARD_TEST_STALL_ONCE")) {
    const int fd = ::open(once, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return;
    ::close(fd);
  }
  fmt::print(stderr, "imgshard: test stall at {}\n", point);
  std::fflush(stderr);
  // Short naps: a stop signal may land on another thread and not interrupt this one.
  for (int i = 0; i < 6000 && !stop_requested(); ++i) ::usleep(100'000);
}

std::string now_iso8601() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

// What --resume compares. Paths (and their order) stand for folders, files and lists, as in
// earlier versions, so their files still resume; a run with a CSV manifest or an archive adds
// what only those carry: every CSV cell (labels, metadata), each member's locator (a changed
// archive moves members or changes their CRCs) and the inputs themselves.
std::string fingerprint_of(const Options& o, const pipeline::Pipeline& p, const io::Collection& c) {
  Fingerprint f;
  f.add(p.canonical());
  f.add(o.decode);
  f.add(o.fail_on_name);
  f.add(std::to_string(o.max_pixels));
  // Only a limit other than the default enters, so files of earlier versions still resume.
  if (o.max_file_bytes != io::kDefaultMaxFileBytes) f.add("max_file_bytes=" + std::to_string(o.max_file_bytes));
  f.add(c.label_source);  // "dirname" or "none" as in earlier versions; "csv" is new
  f.add(std::to_string(o.gzip_level));
  for (const auto& image : c.images) {
    f.add(image.path);
    f.add(image.relative);
  }
  const bool datasets = std::any_of(c.inputs.begin(), c.inputs.end(), [](const std::string& input) {
    return io::is_manifest_input(input) || io::archive_type(input) != io::ArchiveType::none;
  });
  if (!datasets) return f.hex();
  for (const auto& input : c.inputs) f.add(input);
  for (const auto& image : c.images) {
    const auto& m = image.member;
    f.add(fmt::format("{} {} {} {} {} {}", image.input, int(m.kind), m.crc32, m.offset, m.stored_size, m.size));
  }
  for (auto label : c.labels) f.add(std::to_string(label));
  for (const auto& name : c.label_names) f.add(name);
  for (const auto& column : c.meta) {
    f.add(column.name);
    for (const auto& value : column.values) f.add(value);
  }
  return f.hex();
}

store::OutputSpec output_spec(const Options& o, const pipeline::Pipeline& p, const io::Collection& c,
                              const std::string& fingerprint) {
  const auto& shape = p.output_shape();
  const bool chw = shape.layout == kernels::Layout::chw;
  store::OutputSpec spec;
  spec.count = c.images.size();
  spec.image_dims = chw ? std::vector<std::uint64_t>{std::uint64_t(shape.channels), std::uint64_t(shape.height),
                                                     std::uint64_t(shape.width)}
                        : std::vector<std::uint64_t>{std::uint64_t(shape.height), std::uint64_t(shape.width),
                                                     std::uint64_t(shape.channels)};
  spec.float32 = shape.type == kernels::ElemType::f32;
  spec.gzip_level = o.gzip_level;
  spec.string_attributes = {{"imgshard_version", kVersion},
                            {"pipeline", p.canonical()},
                            {"layout", chw ? "chw" : "nhwc"},
                            {"decode", o.decode},
                            {"created", now_iso8601()},
                            {"schedule", o.schedule},
                            {"fail_on", o.fail_on_name},
                            {"compress", o.compress},
                            {"labels", c.label_source},
                            {"fingerprint", fingerprint}};
  spec.int_attributes = {{"chunk", o.chunk},
                         {"max_pixels", std::int64_t(o.max_pixels)},
                         {"max_file_bytes", std::int64_t(o.max_file_bytes)}};
  return spec;
}

std::vector<std::string> relative_paths(const io::Collection& c) {
  std::vector<std::string> paths;
  paths.reserve(c.images.size());
  for (const auto& image : c.images) paths.push_back(image.relative);
  return paths;
}

std::vector<std::int32_t> input_indices(const io::Collection& c) {
  std::vector<std::int32_t> index;
  index.reserve(c.images.size());
  for (const auto& image : c.images) index.push_back(image.input);
  return index;
}

std::vector<store::StringColumn> meta_columns(const io::Collection& c) {
  std::vector<store::StringColumn> columns;
  for (const auto& column : c.meta) columns.push_back({column.name, &column.values});
  return columns;
}

// Journaled ranges as sorted, merged unit spans.
std::vector<comm::UnitSpan> done_ranges(const store::OutputFile& file) {
  auto ranges = file.journaled();
  std::sort(ranges.begin(), ranges.end(), [](auto& a, auto& b) { return a.begin < b.begin; });
  std::vector<comm::UnitSpan> done;
  for (const auto& r : ranges) {
    if (!done.empty() && r.begin <= done.back().begin + done.back().count) {
      auto& last = done.back();
      last.count = std::max(last.begin + last.count, r.begin + r.count) - last.begin;
    } else {
      done.push_back({0, r.begin, r.count});
    }
  }
  return done;
}

// What rank 0 prepares before any work: the collection, the output, the units to do.
struct Prepared {
  std::optional<store::RunLock> lock;  // held from before the output is looked at to the end
  io::Collection collection;
  std::optional<store::OutputFile> file;
  std::vector<comm::UnitSpan> units;
  std::uint64_t skipped = 0;
};

// Returns kContinue with `job` filled, or the exit code every rank ends with.
int prepare(const Options& o, const pipeline::Pipeline& p, int ranks, metrics::PhaseTimers& timers, Prepared& job) {
  // One run per output: the lock comes before anything of the output is looked at.
  job.lock.emplace(o.output);
  {
    auto t = timers.scope(Phase::discover);
    job.collection = io::discover(o.inputs, o.discover_options());
  }
  for (const auto& e : job.collection.input_errors) fmt::print(stderr, "imgshard: warning: {} (skipped)\n", e);
  stall_point("discovered");
  auto t = timers.scope(Phase::plan);
  const std::string fingerprint = fingerprint_of(o, p, job.collection);
  const std::uint64_t n = job.collection.images.size();
  const std::uint64_t row_bytes = p.output_shape().bytes();
  const std::uint64_t chunk = comm::unit_rows(row_bytes, std::uint64_t(o.chunk));
  if (chunk < std::uint64_t(o.chunk))
    fmt::print(stderr, "imgshard: --chunk {} of {} MB images exceeds a unit's {} MB: using --chunk {}\n", o.chunk,
               row_bytes >> 20, comm::kMaxUnitBytes >> 20, chunk);
  std::error_code ec;
  const bool exists = std::filesystem::exists(o.output, ec);
  if (exists && !o.force && !o.resume) {
    fmt::print(stderr, "imgshard: error: {} exists: pass --force to overwrite it or --resume to finish it\n", o.output);
    return kExitUsage;
  }
  std::vector<comm::UnitSpan> done;
  if (exists && o.resume) {
    // Read-only first: a complete file, another run's, or one that cannot be opened is left
    // byte for byte as it is. --resume never starts a file over: only --force does.
    std::string why;
    const auto state = store::OutputFile::read_state(o.output, &why);
    if (!state) {
      fmt::print(stderr, "imgshard: error: --resume: {} cannot be opened as an imgshard output ({}); it is left as it is\n",
                 o.output, why);
      return kExitUsage;
    }
    if (state->fingerprint != fingerprint || state->count != n) {
      fmt::print(stderr,
                 "imgshard: error: --resume: {} was made from other inputs or another pipeline or options; "
                 "pass --force to start over\n",
                 o.output);
      return kExitUsage;
    }
    if (state->complete) {
      fmt::print("imgshard: {} is already complete ({} images); nothing to do\n", o.output, n);
      return kExitOk;
    }
    try {
      job.file = store::OutputFile::reopen(o.output);
    } catch (const store::StoreError& e) {
      fmt::print(stderr, "imgshard: error: --resume: {} cannot be opened for writing ({}); it is left as it is\n",
                 o.output, e.what());
      return kExitUsage;
    }
    done = done_ranges(*job.file);
  } else if (o.resume) {
    fmt::print(stderr, "imgshard: --resume: {} does not exist yet; starting a new run\n", o.output);
  }
  if (!job.file) {
    const auto paths = relative_paths(job.collection);
    const auto input_index = input_indices(job.collection);
    job.file = store::OutputFile::create(o.output, output_spec(o, p, job.collection, fingerprint),
                                         {paths, job.collection.labels, job.collection.label_names,
                                          job.collection.inputs, input_index, meta_columns(job.collection)});
  }
  stall_point("created");
  for (const auto& d : done) job.skipped += d.count;
  job.units = comm::plan_units(n, chunk, done, ranks);
  return kContinue;
}

struct FailureSummary {
  std::uint64_t failed = 0;
  std::vector<std::pair<std::uint64_t, std::string>> all;  // index, "path: reason"
};

// Reads /status back (the file is the truth, also for rows done by an earlier run), and
// the paths and reasons of the failed rows, a block at a time: one read per block that
// has failures, not one per failure, and memory bounded by the block.
FailureSummary read_failures(const store::OutputFile& file) {
  FailureSummary s;
  constexpr std::uint64_t kBlock = 1 << 16;
  for (std::uint64_t begin = 0; begin < file.count(); begin += kBlock) {
    const std::uint64_t count = std::min(kBlock, file.count() - begin);
    const auto status = file.read_status(begin, count);
    const auto failed = [&](std::uint64_t i) {
      return status[i] != 0 && status[i] != std::uint8_t(io::ImageStatus::pending);
    };
    std::uint64_t first = 0;
    while (first < count && !failed(first)) ++first;
    if (first == count) continue;
    const std::uint64_t span = count - first;
    const auto paths = file.read_paths(begin + first, span);
    const auto errors = file.read_errors(begin + first, span);
    for (std::uint64_t i = first; i < count; ++i) {
      if (!failed(i)) continue;
      ++s.failed;
      s.all.emplace_back(begin + i, fmt::format("{}: {}", paths[i - first], errors[i - first]));
    }
  }
  return s;
}

}  // namespace

int run_as_root(comm::World& world, const Options& o, const pipeline::Pipeline& p, const pipeline::BatchRunner& runner,
                const pipeline::ThreadChoice& thread_choice, metrics::PhaseTimers& timers) {
  const int threads = thread_choice.threads;
  Prepared job;
  int code = kContinue;
  try {
    code = prepare(o, p, world.size(), timers, job);
  } catch (const io::DiscoveryError& e) {
    fmt::print(stderr, "imgshard: error: {}\n", e.what());
    code = kExitUsage;
  } catch (const store::StoreError& e) {
    fmt::print(stderr, "imgshard: error: {}\n", e.what());
    code = kExitUsage;
  } catch (const std::length_error& e) {
    fmt::print(stderr, "imgshard: error: {}\n", e.what());
    code = kExitUsage;
  }
  world.agree_on_exit_code(code);
  if (code != kContinue) return code;

  const std::uint64_t total = job.collection.images.size();
  store::OutputFile& file = *job.file;
  // Every rank writes its own rows when it can: uncompressed /images, whose place in the file
  // is fixed (compressed chunks have sizes nobody knows in advance: rank 0 stores those).
  const auto placement = o.writer == Writer::ranks ? file.row_placement() : std::nullopt;
  std::vector<std::uint64_t> shared = placement ? std::vector<std::uint64_t>{placement->offset, placement->row_bytes}
                                                : std::vector<std::uint64_t>{0, 0};
  world.share_from_root(shared);
  std::optional<store::RowWriter> rows;
  if (placement) rows.emplace(o.output, *placement);
  fmt::print(stderr,
             "imgshard {}: {} images{} -> {} | {} | {} rank(s) x {} thread(s) ({}), {} schedule, chunk {}, {}\n",
             kVersion, total, job.skipped ? fmt::format(" ({} already done)", job.skipped) : "", o.output,
             p.canonical(), world.size(), threads, thread_choice.why, o.schedule, o.chunk,
             placement ? "every rank writes its rows" : "rank 0 writes every row");

  metrics::Progress progress(o.progress, total, job.skipped);
  std::uint64_t done = 0, failed = 0, units_written = 0;
  bool strict_stop = false;
  auto last_checkpoint = metrics::Clock::now();

  // Results go to the writer thread through a small pool of buffers: rank 0 computes or
  // receives the next unit while the previous one is written, and memory stays bounded.
  ResultPool pool(kResultBuffers);
  store::WriterThread writer;  // after the pool: its destructor drains jobs that use the pool
  const auto write_job = [&](pipeline::UnitResult& r) {
    return [&file, &rows, &pool, &last_checkpoint, &o, &r] {
      try {
        const std::uint8_t* pixels = r.pixels.data();
        if (r.rows_written) {
          pixels = nullptr;  // a worker wrote them (and made them durable)
        } else if (rows) {
          rows->write(r.begin, r.count, pixels);  // rank 0's own rows: synced at the checkpoint
          pixels = nullptr;
        }
        file.write_rows(r.begin, r.count, pixels, r.status, r.errors, r.orig_shape, r.chunk_bytes);
        if (metrics::seconds_since(last_checkpoint) >= o.checkpoint_seconds) {
          file.checkpoint();
          last_checkpoint = metrics::Clock::now();
        }
      } catch (...) {
        pool.release(r);
        throw;
      }
      pool.release(r);
    };
  };

  comm::RootHooks hooks;
  hooks.make_unit = [&](const comm::UnitSpan& span) {
    pipeline::WorkUnit unit{span.id, span.begin, {}};
    unit.paths.reserve(span.count);
    const auto& images = job.collection.images;
    for (std::uint64_t i = span.begin; i < span.begin + span.count; ++i) unit.paths.push_back(images[i].path);
    // Archive members travel with their locators; a unit of plain files carries none.
    const auto first = images.begin() + std::ptrdiff_t(span.begin);
    if (std::any_of(first, first + std::ptrdiff_t(span.count), [](const auto& im) { return im.member.in_archive(); }))
      for (std::uint64_t i = span.begin; i < span.begin + span.count; ++i) unit.members.push_back(images[i].member);
    return unit;
  };
  hooks.acquire = [&]() -> pipeline::UnitResult& { return pool.acquire(); };
  hooks.submit = [&](pipeline::UnitResult& r) {
    if (writer.failed()) writer.drain();  // rethrows the write error: fatal
    if (!r.rows_written) timers.counts.bytes_written += r.payload_bytes(runner.row_bytes());
    done += r.count;
    const auto bad = std::count_if(r.status.begin(), r.status.end(), [](std::uint8_t s) { return s != 0; });
    failed += std::uint64_t(bad);
    if (bad && o.strict) strict_stop = true;
    writer.post(write_job(r));
    progress.update(done, failed);
    const auto point = fmt::format("unit:{}", ++units_written);
    if (stall_wanted(point)) writer.drain();  // "after the K-th unit is written" (and journaled, when due)
    stall_point(point);
  };
  hooks.stop_requested = [&] { return strict_stop || stop_requested(); };

  metrics::RankReport self{0, world.host(), threads, {}, 0.0, {}};
  comm::RunOutcome outcome;
  try {
    comm::UnitQueue queue(job.units, world.size(), o.schedule == "dynamic");
    outcome = comm::run_root(world, queue, runner, hooks, timers, self);
    auto t = timers.scope(Phase::write);
    writer.drain();
  } catch (const std::exception& e) {
    fmt::print(stderr, "\nimgshard: fatal: {}\n", e.what());
    world.abort(kExitFatal);
  }
  progress.finish();

  metrics::RunReport report;
  report.imgshard_version = kVersion;
  report.pipeline = p.canonical();
  report.wall_seconds = outcome.ranks.empty() ? timers.wall() : outcome.ranks[0].wall_seconds;
  report.images = total;
  report.processed = done;
  report.skipped = job.skipped;
  report.mpi_ranks = world.size();
  report.omp_threads = threads;
  report.schedule = o.schedule;
  report.chunk = o.chunk;
  report.ranks = std::move(outcome.ranks);
  try {
    file.set_attribute("mpi_ranks", std::int64_t(world.size()));
    file.set_attribute("omp_threads", std::int64_t(threads));
    file.set_attribute("schedule", o.schedule);
    file.write_input_errors(job.collection.input_errors);
    file.write_timings(report);
    auto summary = read_failures(file);
    report.failed = summary.failed;
    report.failures = std::move(summary.all);
    if (outcome.interrupted) {
      file.checkpoint();
    } else {
      stall_point("finishing");
      file.finish();
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "imgshard: fatal: {}\n", e.what());
    return kExitFatal;
  }
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

  if (outcome.interrupted) {
    const std::uint64_t finished = job.skipped + done;
    fmt::print(stderr, "imgshard: {}: {} of {} images done; run the same command with --resume to finish\n",
               strict_stop ? "stopped at the first failure (--strict)" : "interrupted", finished, total);
    fmt::print("output: {} (incomplete)\n", o.output);
    return strict_stop ? kExitSomeFailed : kExitInterrupted;
  }
  if (const auto skipped = job.collection.input_errors.size())
    fmt::print("  {} folder(s) could not be listed and were skipped (see /input_errors)\n", skipped);
  fmt::print("output: {}\n", o.output);
  return report.failed || !job.collection.input_errors.empty() ? kExitSomeFailed : kExitOk;
}

int run_as_worker(comm::World& world, const Options& o, const pipeline::BatchRunner& runner, int threads,
                  metrics::PhaseTimers& timers) {
  const int code = world.agree_on_exit_code(kContinue);
  if (code != kContinue) return code;
  std::vector<std::uint64_t> shared;
  world.share_from_root(shared);  // {offset, row bytes} of /images rows, or {0, 0}: rank 0 writes
  // On rank 0's node, its checkpoint fsync makes our rows durable with its own (one page
  // cache); on another node only our own sync does, before the unit is reported.
  const bool sync_each_unit = !world.shares_node_with_root();
  try {
    std::optional<store::RowWriter> rows;
    std::function<void(pipeline::UnitResult&)> write_rows;
    if (shared.size() == 2 && shared[1] != 0) {
      rows.emplace(o.output, store::RowPlacement{shared[0], shared[1]});
      write_rows = [&](pipeline::UnitResult& r) {
        rows->write(r.begin, r.count, r.pixels.data());
        if (sync_each_unit) rows->sync();
        r.rows_written = true;
        timers.counts.bytes_written += r.count * shared[1];
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
