// Each kernel (through its Kernel::apply, as the pipeline runs it) against the bare OpenCV
// expression it equals, on a photo scaled to 224x224 and 1024x768, one thread; and the tiled
// path on all threads. Then the INTER_AREA resampler against cv::resize(INTER_AREA), per
// source size, channel count and type, on each instruction set the CPU has
// (area/<who>/<source>x<channels>-><target>). Built, never run by ctest:
//   build/bin/bench_kernels --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
//   build/bin/bench_kernels --benchmark_filter='^area/' --benchmark_time_unit=ms
#include <algorithm>

#include <benchmark/benchmark.h>
#include <omp.h>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

#include "cases.hpp"
#include "kernels/area_resample.hpp"
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

cv::Mat input_photo(cv::Size size, int channels) {
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
        const cv::Mat in = input_photo(size, channels);
        cv::Mat out;
        for (auto _ : state) {
          step.kernel().apply(in, out);
          benchmark::DoNotOptimize(out.data);
        }
      });
      benchmark::RegisterBenchmark(("opencv/" + suffix).c_str(), [c, size, channels](benchmark::State& state) {
        const cv::Mat in = input_photo(size, channels);
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
        const cv::Mat in = input_photo(size, channels);
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

// The resampler alone: the photo at the sizes imgshard meets (the benchmark corpus' photos
// of 0.4 to 1 MP, a 1/2 DCT-scaled decode, shorter=256's target), each channel count, and
// float32 (a resize after normalize).
const bool registered_area = [] {
  cv::setNumThreads(1);
  struct AreaBench {
    cv::Size src, dst;
    int type;
  };
  std::vector<AreaBench> cases;
  for (int channels = 1; channels <= 4; ++channels)
    for (auto [src, dst] : std::vector<std::pair<cv::Size, cv::Size>>{{{800, 750}, {224, 224}},
                                                                     {{1024, 768}, {224, 224}},
                                                                     {{401, 300}, {224, 224}},
                                                                     {{1000, 750}, {341, 256}}})
      cases.push_back({src, dst, CV_8UC(channels)});
  cases.push_back({{800, 750}, {224, 224}, CV_32FC3});
  for (const AreaBench& c : cases) {
    const std::string name = cv::format("%dx%dx%d%s->%dx%d", c.src.width, c.src.height, CV_MAT_CN(c.type),
                                        CV_MAT_DEPTH(c.type) == CV_32F ? "f32" : "", c.dst.width, c.dst.height);
    const auto input = [c] {
      cv::Mat in = noise_image(c.src, CV_MAT_CN(c.type), CV_MAT_DEPTH(c.type) == CV_32F);
      // A photo where there is one (1 and 3 channels), noise elsewhere: the time does not
      // depend on the values, only on the sizes.
      if (CV_MAT_DEPTH(c.type) == CV_8U && (CV_MAT_CN(c.type) == 3 || CV_MAT_CN(c.type) == 1))
        in = input_photo(c.src, CV_MAT_CN(c.type));
      return in;
    };
    benchmark::RegisterBenchmark(("area/opencv/" + name).c_str(), [c, input](benchmark::State& state) {
      const cv::Mat in = input();
      cv::Mat out;
      for (auto _ : state) {
        cv::resize(in, out, c.dst, 0, 0, cv::INTER_AREA);
        benchmark::DoNotOptimize(out.data);
      }
    })->Unit(benchmark::kMillisecond);
    for (const std::string& isa : area_resampler_isas()) {
      benchmark::RegisterBenchmark(("area/ours-" + isa + "/" + name).c_str(), [c, input, isa](benchmark::State& state) {
        const cv::Mat in = input();
        cv::Mat out;
        area_resampler_use_isa(isa);
        for (auto _ : state) {
          resize_area(in, out, c.dst);
          benchmark::DoNotOptimize(out.data);
        }
        area_resampler_use_isa("");
      })->Unit(benchmark::kMillisecond);
    }
  }
  return true;
}();

}  // namespace
}  // namespace imgshard::kernels::testing
