// Row tiles with a halo give, bit for bit, what the whole image gives: for every tileable
// kernel of the case table, any tile count, odd sizes, and whole pipelines.
#include <algorithm>

#include <omp.h>

#include <gtest/gtest.h>
#include <opencv2/core/utility.hpp>

#include "cases.hpp"
#include "pipeline/tiling.hpp"

namespace imgshard::kernels::testing {
namespace {

using pipeline::Tiling;

// Whether got and want are the same bytes; else a message naming what and where.
std::string identical(const std::string& what, const cv::Mat& got, const cv::Mat& want) {
  if (got.size() != want.size() || got.type() != want.type())
    return cv::format("%s: tiled gives %dx%d type %d, untiled %dx%d type %d", what.c_str(), got.cols, got.rows,
                      got.type(), want.cols, want.rows, want.type());
  cv::Mat diff;
  cv::compare(got.reshape(1), want.reshape(1), diff, cv::CMP_NE);  // bitwise for uint8; == for float
  if (const int n = cv::countNonZero(diff)) return cv::format("%s: %d values differ", what.c_str(), n);
  return "";
}

class TiledEqualsUntiled : public ::testing::TestWithParam<KernelCase> {};

TEST_P(TiledEqualsUntiled, ForAnyTileCount) {
  cv::setNumThreads(1);
  const KernelCase& c = GetParam();
  const BuiltStep step(c.step);
  for (bool float32 : {false, true}) {
    if (float32 && !c.float_input) continue;
    for (int channels : c.channels)
      for (cv::Size size : {cv::Size(1000, 750), cv::Size(37, 23), cv::Size(5, 3)})
        for (int tiles : {2, 3, 7, 64}) {
          const cv::Mat in = noise_image(size, channels, float32, 7);
          cv::Mat whole, tiled;
          step.kernel().apply(in, whole);
          pipeline::apply_tiled(step.kernel(), in, tiled, Tiling{.tiles = tiles, .min_tile_rows = 1});
          EXPECT_EQ(identical(cv::format("%s on %dx%d, %d channels%s, %d tiles (halo %d)", c.step.c_str(),
                                         size.width, size.height, channels, float32 ? ", float32" : "", tiles,
                                         step.kernel().halo()),
                              tiled, whole),
                    "");
        }
  }
}

// The cases of the kernels that can be tiled (halo >= 0); TileableKernelsDeclareAHalo in
// test_kernels.cpp keeps that set from shrinking unnoticed.
std::vector<KernelCase> tileable_cases() {
  std::vector<KernelCase> tileable;
  for (const auto& c : kernel_cases())
    if (BuiltStep(c.step).kernel().halo() >= 0) tileable.push_back(c);
  return tileable;
}

INSTANTIATE_TEST_SUITE_P(Kernels, TiledEqualsUntiled, ::testing::ValuesIn(tileable_cases()),
                         [](const auto& info) { return test_name(info.param.step); });

TEST(Tiling, TileCountFollowsTheKnobs) {
  EXPECT_EQ(pipeline::tile_count(750, {.tiles = 8, .min_tile_rows = 32}), 8);
  EXPECT_EQ(pipeline::tile_count(100, {.tiles = 8, .min_tile_rows = 32}), 3);
  EXPECT_EQ(pipeline::tile_count(10, {.tiles = 8, .min_tile_rows = 32}), 1);
  EXPECT_EQ(pipeline::tile_count(5, {.tiles = 64, .min_tile_rows = 1}), 5);
  EXPECT_EQ(pipeline::tile_count(100, {.tiles = 0}), 1);
}

TEST(Tiling, WholePipelineTiledEqualsPipelineRun) {
  for (const char* spec : {"resize=640:480,gray,gauss=sigma=1.5,sobel,threshold=40",
                           "shorter=300,crop=288:288,sharpen=amount=0.7:sigma=1.2,median=5,gamma=0.8,invert",
                           "resize=256:256:mode=crop,crop=224:224,box=3,normalize,layout=chw",
                           "resize=500:400,flip=h,laplacian,equalize"}) {
    const auto p = pipeline::Pipeline::parse(spec);
    const cv::Mat photo = sample_photo("animals/baboon.jpg");
    cv::Mat out, scratch, tiled_out, tiled_scratch;
    p.run(photo, out, scratch);
    pipeline::run_tiled(p, photo, tiled_out, tiled_scratch, Tiling{.tiles = 5, .min_tile_rows = 8});
    EXPECT_EQ(identical(spec, tiled_out, out), "");
    EXPECT_TRUE(tiled_out.isContinuous());
  }
}

TEST(Tiling, OnlyPipelinesWithALocalStepAreWorthTiling) {
  EXPECT_FALSE(pipeline::has_tileable_step(pipeline::Pipeline::parse("resize=224:224")));
  EXPECT_FALSE(pipeline::has_tileable_step(pipeline::Pipeline::parse("shorter=256,crop=224:224,equalize")));
  EXPECT_TRUE(pipeline::has_tileable_step(pipeline::Pipeline::parse("resize=224:224,gauss=1")));
}

TEST(Tiling, TilesRunOnSeveralThreads) {
  // The point of tiling: one image, every thread. Each tile records the thread that ran it.
  if (omp_get_max_threads() < 2) GTEST_SKIP() << "one OpenMP thread";
  struct Recorder final : Kernel {
    mutable std::vector<int> seen = std::vector<int>(64, 0);
    ImageShape output_shape(const ImageShape& in) const override { return in; }
    void apply(const cv::Mat& in, cv::Mat& out) const override {
      seen[omp_get_thread_num()] = 1;
      in.copyTo(out);
    }
    int halo() const override { return 0; }
  } recorder;
  const cv::Mat in = noise_image({64, 64}, 1);
  cv::Mat out;
  pipeline::apply_tiled(recorder, in, out, Tiling{.tiles = 4, .min_tile_rows = 1});
  EXPECT_GE(std::count(recorder.seen.begin(), recorder.seen.end(), 1), 2);

  // Also from inside a one-thread parallel region (how a batch of few images may call it):
  // a team of one is not an active level, so the tiles still get their own team.
  std::fill(recorder.seen.begin(), recorder.seen.end(), 0);
#pragma omp parallel num_threads(1)
  pipeline::apply_tiled(recorder, in, out, Tiling{.tiles = 4, .min_tile_rows = 1});
  EXPECT_GE(std::count(recorder.seen.begin(), recorder.seen.end(), 1), 2);
}

}  // namespace
}  // namespace imgshard::kernels::testing
