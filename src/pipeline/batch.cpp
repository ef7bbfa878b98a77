#include "pipeline/batch.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <exception>
#include <tuple>

#include <fmt/format.h>

#include <sys/stat.h>
#include <unistd.h>

#include <omp.h>
#include <zlib.h>
#include <opencv2/core/utility.hpp>
#include <sched.h>

#include "io/read.hpp"
#include "pipeline/tiling.hpp"

namespace imgshard::pipeline {

using metrics::Phase;

std::string one_line(std::string text) {
  if (text.find_first_of("\r\n") == std::string::npos) return text;
  const auto trim_back = [](std::string& s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
  };
  std::string out;
  bool after_break = false;  // a line break was seen since the last character kept
  for (const char c : text) {
    if (c == '\n' || c == '\r') {
      trim_back(out);  // the spaces before a break
      after_break = true;
    } else if (!after_break || (c != ' ' && c != '\t')) {  // not a space after a break
      if (after_break && !out.empty()) out += ' ';
      after_break = false;
      out += c;
    }
  }
  return out;
}

std::uint64_t UnitResult::payload_bytes(std::size_t row_bytes) const {
  if (chunk_bytes.empty()) return count * row_bytes;
  std::uint64_t total = 0;
  for (auto b : chunk_bytes) total += b;
  return total;
}

std::uint64_t UnitResult::header_bytes() const {
  std::uint64_t bytes = 4 * sizeof(std::uint64_t) + status.size() + orig_shape.size() * sizeof(std::int32_t) +
                        chunk_bytes.size() * sizeof(std::uint32_t);
  for (const auto& e : errors) bytes += sizeof(std::uint64_t) + e.size();
  return bytes;
}

void configure_threads(int threads) {
  cv::setNumThreads(1);
  omp_set_num_threads(threads);
}

ThreadChoice default_threads(int local_ranks) {
  if (const char* env = std::getenv("OMP_NUM_THREADS"); env && std::atoi(env) > 0)
    return {std::atoi(env), "OMP_NUM_THREADS"};
  int allowed = 1;  // the CPUs this rank may run on (mpirun's or srun's binding)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) allowed = std::max(1, CPU_COUNT(&set));
  const int online = std::max<int>(1, int(sysconf(_SC_NPROCESSORS_ONLN)));
  local_ranks = std::max(1, local_ranks);
  // Unbound ranks (--bind-to none) each see the whole node: share it instead of every rank
  // starting one thread per CPU. A narrower binding is the launcher's share already.
  const int share = std::max(1, std::min(allowed, online) / local_ranks);
  if (allowed < online && allowed <= share) return {allowed, fmt::format("the {} CPU(s) this rank is bound to", allowed)};
  return {share, fmt::format("{} CPU(s) / {} rank(s) on this node", std::min(allowed, online), local_ranks)};
}

BatchRunner::BatchRunner(const Pipeline& pipeline, const io::DecodeOptions& decode, const Schedule& schedule)
    : pipeline_(pipeline),
      decode_(decode),
      schedule_(schedule),
      row_bytes_(pipeline.output_shape().bytes()),
      shrink_([&pipeline](cv::Size source) { return pipeline.min_source_size(source); }),
      tileable_(has_tileable_step(pipeline)) {}

namespace {

// What one thread keeps between images, so the hot path does not allocate.
struct ThreadState {
  std::vector<std::uint8_t> bytes;
  io::Decoder decoder;
  io::DecodedImage decoded;
  cv::Mat out, scratch;
  cv::Mat first;  // the first step's output, when the decoder fed it row by row
};

// The decoder's rows go straight into the pipeline's first step where that step takes them
// (an INTER_AREA resize or shorter): no full-size image is made, and each row is resampled
// while it is still in cache (tests/bench/strip_decode measured this faster than decoding
// the whole image first). The first step's time then counts as decoding.
class FirstStepSink final : public io::RowSink {
 public:
  static_assert(io::RowSink::kRowPadding >= kernels::RowStream::kRowPadding);
  FirstStepSink(const Pipeline& pipeline, cv::Mat& first) : pipeline_(pipeline), first_(first) {}
  bool begin(cv::Size size) override {
    stream_ = pipeline_.stream_first(size, first_);
    return stream_ != nullptr;
  }
  void row(const std::uint8_t* rgb) override { stream_->push(rgb); }
  // After a streamed decode that succeeded: completes the first step's output.
  void finish() {
    auto stream = std::move(stream_);
    stream->finish();
  }

 private:
  const Pipeline& pipeline_;
  cv::Mat& first_;
  std::unique_ptr<kernels::RowStream> stream_;
};

// Dynamic schedule: the biggest files first (longest processing time first), so that a
// unit ends on small images and threads wait less for the last one. File size is a good
// proxy for decode cost; a file that cannot be stat'ed fails fast anyway.
std::vector<std::uint32_t> processing_order(const WorkUnit& unit, bool dynamic) {
  std::vector<std::uint32_t> order(unit.paths.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  if (!dynamic) return order;
  std::vector<off_t> sizes(order.size(), 0);
  for (std::size_t i = 0; i < order.size(); ++i) {
    struct stat st {};
    if (const auto* member = unit.member(i))
      sizes[i] = off_t(member->size);
    else if (::stat(unit.paths[i].c_str(), &st) == 0)
      sizes[i] = st.st_size;
  }
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return sizes[a] > sizes[b]; });
  return order;
}

}  // namespace

void BatchRunner::run(const WorkUnit& unit, UnitResult& result, metrics::PhaseTimers& timers,
                      const std::function<void()>& between_images) const {
  const std::size_t n = unit.paths.size();
  result.id = unit.id;
  result.begin = unit.begin;
  result.count = n;
  result.rows_written = false;
  // Every row is written below: an image's pixels, or zeros when it failed. No zero-fill of
  // the whole unit first, which would touch every byte twice.
  result.pixels.resize(n * row_bytes_);
  const bool compress = schedule_.gzip_level >= 0;
  result.chunk_bytes.assign(compress ? n : 0, 0);
  if (compress && result.chunks.size() < n) result.chunks.resize(n);
  result.status.assign(n, 0);
  result.errors.assign(n, std::string());
  result.orig_shape.assign(n * 3, 0);

  const auto start = metrics::Clock::now();
  std::array<double, metrics::kPhaseCount> thread_seconds{};
  std::uint64_t bytes_read = 0;
  // Fewer images than threads: one image at a time, each spread over the threads in row
  // tiles (bit-identical to untiled), instead of threads sitting idle.
  const bool tile_images = tileable_ && n < std::size_t(schedule_.threads);
  const Tiling tiling{.tiles = schedule_.threads};
  const int threads = tile_images ? 1 : std::min<int>(schedule_.threads, int(std::max<std::size_t>(n, 1)));
  const std::vector<std::uint32_t> order = processing_order(unit, schedule_.dynamic);
  // The unit's files requested from the disk in the order they are processed, all at once:
  // a cold cache then costs about one disk wait per unit instead of one per image.
  for (const std::uint32_t i : order)
    if (!unit.member(i)) io::prefetch(unit.paths[i], decode_);
  thread_seconds[int(Phase::read)] += metrics::seconds_since(start);
  double between_s = 0;  // main thread's time in between_images, claimed by its own scopes
  // No exception may leave the parallel region (that is std::terminate): what fails one image
  // becomes its status; what fails the run (zlib, or rank 0's writer reporting a full disk
  // through between_images) is kept here and rethrown once every thread has left the region.
  std::exception_ptr run_error;
  std::atomic<bool> run_failed{false};
  const auto keep_run_error = [&] {
#pragma omp critical(imgshard_run_error)
    if (!run_error) run_error = std::current_exception();
    run_failed = true;
  };

#pragma omp parallel num_threads(threads) reduction(+ : bytes_read)
  {
    thread_local ThreadState state;
    double read_s = 0, decode_s = 0, kernels_s = 0, write_s = 0;
    // A one-step pipeline's stream writes its output in place; a longer one's, the input of step 2.
    const bool one_step = pipeline_.steps().size() == 1;
    FirstStepSink sink(pipeline_, one_step ? state.out : state.first);
    const auto process_image = [&](std::size_t i) {
      auto t0 = metrics::Clock::now();
      std::string error;
      const auto* member = unit.member(i);
      auto status = member ? io::read_member(unit.paths[i], *member, state.bytes, error, decode_)
                           : io::read_file(unit.paths[i], state.bytes, error, decode_);
      auto t1 = metrics::Clock::now();
      read_s += std::chrono::duration<double>(t1 - t0).count();
      if (status == io::ImageStatus::ok) {
        bytes_read += state.bytes.size();
        status = state.decoder.decode(state.bytes, decode_, &shrink_, state.decoded, error,
                                      tile_images ? nullptr : &sink);
        auto t2 = metrics::Clock::now();
        decode_s += std::chrono::duration<double>(t2 - t1).count();
        if (status != io::ImageStatus::too_large) {
          result.orig_shape[3 * i] = state.decoded.height;
          result.orig_shape[3 * i + 1] = state.decoded.width;
          result.orig_shape[3 * i + 2] = state.decoded.channels;
        }
        if (status == io::ImageStatus::ok) {
          try {
            if (state.decoded.streamed) {
              sink.finish();
              if (!one_step) pipeline_.run_after_first(state.first, state.out, state.scratch);
            } else if (tile_images) {
              run_tiled(pipeline_, state.decoded.rgb, state.out, state.scratch, tiling);
            } else {
              pipeline_.run(state.decoded.rgb, state.out, state.scratch);
            }
            std::memcpy(result.pixels.data() + i * row_bytes_, state.out.data, row_bytes_);
          } catch (const cv::Exception& e) {  // its what() is OpenCV's banner, file and line
            status = io::ImageStatus::kernel_failed;
            error = fmt::format("OpenCV: {}", e.err);
          } catch (const std::exception& e) {
            status = io::ImageStatus::kernel_failed;
            error = e.what();
          }
          kernels_s += metrics::seconds_since(t2);
        }
      }
      return std::pair{status, std::move(error)};
    };
    const auto process = [&](std::size_t i) {
      io::ImageStatus status;
      std::string error;
      try {
        std::tie(status, error) = process_image(i);
      } catch (const std::bad_alloc&) {
        status = io::ImageStatus::too_large;
        error = "out of memory while reading or decoding it";
        state.bytes = {};  // give back what the failed image took
      } catch (const std::exception& e) {
        status = io::ImageStatus::corrupt;
        error = fmt::format("cannot process it: {}", e.what());
      }
      result.status[i] = static_cast<std::uint8_t>(status);
      if (status != io::ImageStatus::ok) {
        result.errors[i] = one_line(std::move(error));
        std::memset(result.pixels.data() + i * row_bytes_, 0, row_bytes_);
      }
      if (compress) {
        // The zlib stream HDF5's deflate filter writes: compress2 at the dataset's level.
        const auto t3 = metrics::Clock::now();
        auto& chunk = result.chunks[i];
        uLongf size = compressBound(uLong(row_bytes_));
        chunk.resize(size);
        if (compress2(chunk.data(), &size, result.pixels.data() + i * row_bytes_, uLong(row_bytes_),
                      schedule_.gzip_level) != Z_OK)
          throw std::runtime_error("zlib: cannot compress a row");
        result.chunk_bytes[i] = std::uint32_t(size);
        write_s += metrics::seconds_since(t3);
      }
    };
    const bool main_thread = omp_get_thread_num() == 0;
    const auto step = [&](std::size_t k) {
      if (run_failed) return;  // the run is over: the remaining images would be thrown away
      try {
        process(order[k]);
        if (between_images && main_thread) {
          const auto t = metrics::Clock::now();
          between_images();
          between_s += metrics::seconds_since(t);
        }
      } catch (...) {
        keep_run_error();
      }
    };
    if (schedule_.dynamic) {
#pragma omp for schedule(dynamic, 1) nowait
      for (std::size_t k = 0; k < n; ++k) step(k);
    } else {
#pragma omp for schedule(static) nowait
      for (std::size_t k = 0; k < n; ++k) step(k);
    }
#pragma omp critical
    {
      thread_seconds[int(Phase::read)] += read_s;
      thread_seconds[int(Phase::decode)] += decode_s;
      thread_seconds[int(Phase::kernels)] += kernels_s;
      thread_seconds[int(Phase::write)] += write_s;
    }
  }
  if (run_error) std::rethrow_exception(run_error);
  result.bytes_read = bytes_read;
  if (compress) {
    // Chunks back to back, over the raw rows (each compressed already): what travels to
    // rank 0 and what it stores as is.
    result.pixels.resize(result.payload_bytes(row_bytes_));
    std::size_t at = 0;
    for (std::size_t i = 0; i < n; ++i) {
      std::memcpy(result.pixels.data() + at, result.chunks[i].data(), result.chunk_bytes[i]);
      at += result.chunk_bytes[i];
    }
  }
  timers.add_split(metrics::seconds_since(start), threads, thread_seconds, between_s);
  timers.counts.images += n;
  timers.counts.units += 1;
  timers.counts.bytes_read += bytes_read;
}

}  // namespace imgshard::pipeline
