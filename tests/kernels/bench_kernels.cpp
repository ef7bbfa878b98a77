// Each kernel (through its Kernel::apply, as the pipeline runs it) against the bare OpenCV
// expression it equals, on a photo scaled to 224x224 and 1024x768, one thread; and the tiled
// path on all threads. Built, never run by ctest:
//   build/bin/bench_kernels --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <algorithm>

#include <benchmark/benchmark.h>
#include <omp.h>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

#include "cases.hpp"
#include "pipeline/tiling.hpp"

namespace imgshard::kernels::testing {
namespace {

// The first case of each kernel: one line per kernel in the report.
std::vector<const KernelCase*> one_case_per_kernel() {
  std::vector<const KernelCase*> picked;
  std::vector<std::string> names;
  for (const auto& c : kernel_cases()) {
    const std::string name = c.step.substr(0, c.step.find('='));
    if (std::find(names.begin(), names.end(), name) != names.end()) continue;
    names.push_back(name);
    picked.push_back(&c);
  }
  return picked;
}

cv::Mat input(cv::Size size, int channels) {
  static const cv::Mat photo = sample_photo("animals/baboon.jpg");
  cv::Mat scaled, in;
  cv::resize(photo, scaled, size, 0, 0, cv::INTER_AREA);
  if (channels == 1)
    cv::cvtColor(scaled, in, cv::COLOR_RGB2GRAY);
  else
    in = scaled;
  return in;
}

const bool registered = [] {
  cv::setNumThreads(1);  // as imgshard runs: the parallelism is ranks x OpenMP threads
  for (const KernelCase* c : one_case_per_kernel()) {
    const int channels = std::find(c->channels.begin(), c->channels.end(), 3) != c->channels.end() ? 3 : 1;
    for (cv::Size size : {cv::Size(224, 224), cv::Size(1024, 768)}) {
      const std::string suffix = cv::format("%s/%dx%dx%d", c->step.c_str(), size.width, size.height, channels);
      benchmark::RegisterBenchmark(("ours/" + suffix).c_str(), [c, size, channels](benchmark::State& state) {
        const BuiltStep step(c->step);
        const cv::Mat in = input(size, channels);
        cv::Mat out;
        for (auto _ : state) {
          step.kernel().apply(in, out);
          benchmark::DoNotOptimize(out.data);
        }
      });
      benchmark::RegisterBenchmark(("opencv/" + suffix).c_str(), [c, size, channels](benchmark::State& state) {
        const cv::Mat in = input(size, channels);
        cv::Mat out;
        const auto& opencv = c->bare ? c->bare : c->opencv;
        for (auto _ : state) {
          opencv(in, out);
          benchmark::DoNotOptimize(out.data);
        }
      });
      if (size.width < 1024 || BuiltStep(c->step).kernel().halo() < 0) continue;
      benchmark::RegisterBenchmark(("tiled/" + suffix).c_str(), [c, size, channels](benchmark::State& state) {
        const BuiltStep step(c->step);
        const cv::Mat in = input(size, channels);
        const pipeline::Tiling tiling{.tiles = omp_get_max_threads()};
        cv::Mat out;
        for (auto _ : state) {
          pipeline::apply_tiled(step.kernel(), in, out, tiling);
          benchmark::DoNotOptimize(out.data);
        }
      })->UseRealTime();
    }
  }
  return true;
}();

}  // namespace
}  // namespace imgshard::kernels::testing
