#include "pipeline/tiling.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <omp.h>

namespace imgshard::pipeline {
namespace {

// The output rows of tile t of n over `rows` rows: as equal as can be.
cv::Range tile_rows(int rows, int t, int n) {
  return {int(std::int64_t(rows) * t / n), int(std::int64_t(rows) * (t + 1) / n)};
}

// The ImageShape of a concrete image, for asking a kernel what it makes of it.
kernels::ImageShape shape_of(const cv::Mat& m) {
  return {.height = m.rows,
          .width = m.cols,
          .channels = m.channels(),
          .type = m.depth() == CV_32F ? kernels::ElemType::f32 : kernels::ElemType::u8};
}

}  // namespace

int tile_count(int rows, const Tiling& tiling) {
  return std::clamp(rows / std::max(1, tiling.min_tile_rows), 1, std::max(1, tiling.tiles));
}

void apply_tiled(const kernels::Kernel& k, const cv::Mat& in, cv::Mat& out, const Tiling& tiling) {
  const int halo = k.halo();
  const int tiles = tile_count(in.rows, tiling);
  if (halo < 0 || tiles <= 1) {
    k.apply(in, out);
    return;
  }
  // A tiled kernel keeps the image size; its channels and type come from its declaration.
  const kernels::ImageShape shape = k.output_shape(shape_of(in));
  out.create(in.rows, in.cols, CV_MAKETYPE(shape.type == kernels::ElemType::f32 ? CV_32F : CV_8U, shape.channels));

  std::vector<std::string> errors(tiles);
  const int threads = std::min(tiles, omp_get_max_threads());
#pragma omp parallel for schedule(static, 1) num_threads(threads)
  for (int t = 0; t < tiles; ++t) {
    try {
      const cv::Range own = tile_rows(in.rows, t, tiles);
      const cv::Range read(std::max(0, own.start - halo), std::min(in.rows, own.end + halo));
      const cv::Mat rows(read.size(), in.cols, in.type(), const_cast<uchar*>(in.ptr(read.start)), in.step);
      // Without a halo the tile's rows are exactly its own: write them in place (the kernel's
      // out.create() keeps a header of the right size and type); with one, keep the middle.
      cv::Mat result = halo == 0 ? cv::Mat(own.size(), out.cols, out.type(), out.ptr(own.start), out.step) : cv::Mat();
      uchar* const in_place = result.data;
      k.apply(rows, result);
      if (result.type() != out.type() || result.cols != out.cols || result.rows != read.size())
        throw kernels::KernelError("internal: a tiled kernel's output differs from its declared shape");
      if (result.data != in_place)
        result.rowRange(own.start - read.start, own.end - read.start).copyTo(out.rowRange(own));
    } catch (const std::exception& e) {
      errors[t] = e.what();  // an exception must not leave an OpenMP region
    }
  }
  for (const auto& e : errors)
    if (!e.empty()) throw kernels::KernelError(e);
}

bool has_tileable_step(const Pipeline& pipeline) {
  return std::any_of(pipeline.steps().begin(), pipeline.steps().end(),
                     [](const Step& step) { return step.kernel->halo() >= 0; });
}

void run_tiled(const Pipeline& pipeline, const cv::Mat& rgb, cv::Mat& out, cv::Mat& scratch, const Tiling& tiling) {
  // The same ping-pong as Pipeline::run: no step writes into its own input, the last into `out`.
  const auto& steps = pipeline.steps();
  const cv::Mat* in = &rgb;
  cv::Mat* buffers[2] = {&out, &scratch};
  int next = steps.size() % 2 == 1 ? 0 : 1;
  for (const Step& step : steps) {
    cv::Mat* target = buffers[next];
    apply_tiled(*step.kernel, *in, *target, tiling);
    in = target;
    next ^= 1;
  }
  if (!out.isContinuous()) out = out.clone();
}

}  // namespace imgshard::pipeline
