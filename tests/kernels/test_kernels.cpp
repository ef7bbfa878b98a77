// Every kernel equals its OpenCV expression, over a grid of sizes, channel counts and argument
// values (the table in cases.cpp), on deterministic noise and on a real photo.
#include <set>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

#include "cases.hpp"
#include "kernels/registry.hpp"

namespace imgshard::kernels::testing {
namespace {

// Tiny, odd and non-divisible, the common training size, and a photo-sized frame.
const std::vector<cv::Size> kSizes = {{1, 1}, {7, 5}, {13, 11}, {224, 224}, {1000, 750}};

// "" when equal within `tol`, else what differs: kernel, size, channels, max difference.
std::string compare(const std::string& what, const cv::Mat& got, const cv::Mat& want, double tol) {
  if (got.size() != want.size() || got.type() != want.type())
    return cv::format("%s: got %dx%d type %d, OpenCV gives %dx%d type %d", what.c_str(), got.cols, got.rows,
                      got.type(), want.cols, want.rows, want.type());
  const double diff = got.empty() ? 0 : cv::norm(got, want, cv::NORM_INF);
  if (diff > tol) return cv::format("%s: max difference %g > tolerance %g", what.c_str(), diff, tol);
  return "";
}

class KernelEqualsOpenCV : public ::testing::TestWithParam<KernelCase> {};

TEST_P(KernelEqualsOpenCV, OverSizesAndChannels) {
  cv::setNumThreads(1);
  const KernelCase& c = GetParam();
  const BuiltStep step(c.step);
  int checked = 0;
  for (bool float32 : {false, true}) {
    if (float32 && !c.float_input) continue;
    for (int channels : c.channels)
      for (cv::Size size : kSizes) {
        if (size.width < c.min_size.width || size.height < c.min_size.height) continue;
        const cv::Mat in = noise_image(size, channels, float32);
        cv::Mat got, want;
        step.kernel().apply(in, got);
        c.opencv(in, want);
        const std::string what = cv::format("%s on %dx%d, %d channel%s%s", c.step.c_str(), size.width, size.height,
                                            channels, channels == 1 ? "" : "s", float32 ? ", float32" : "");
        EXPECT_EQ(compare(what, got, want, float32 ? tolerance::float32 : c.tolerance), "");
        EXPECT_TRUE(got.isContinuous()) << what;
        ++checked;
      }
  }
  EXPECT_GT(checked, 0);
}

TEST_P(KernelEqualsOpenCV, OnAPhoto) {
  const KernelCase& c = GetParam();
  const BuiltStep step(c.step);
  const cv::Mat photo = sample_photo("animals/baboon.jpg");
  for (int channels : c.channels) {
    cv::Mat in = photo;
    if (channels == 1) cv::cvtColor(photo, in, cv::COLOR_RGB2GRAY);
    cv::Mat got, want;
    step.kernel().apply(in, got);
    c.opencv(in, want);
    EXPECT_EQ(compare(cv::format("%s on baboon.jpg, %d channels", c.step.c_str(), channels), got, want, c.tolerance),
              "");
  }
}

INSTANTIATE_TEST_SUITE_P(Kernels, KernelEqualsOpenCV, ::testing::ValuesIn(kernel_cases()),
                         [](const auto& info) { return test_name(info.param.step); });

TEST(KernelCases, EveryKernelIsComparedWithOpenCV) {
  std::set<std::string> covered;
  for (const auto& c : kernel_cases()) covered.insert(c.step.substr(0, c.step.find('=')));
  for (const KernelSpec* k : all_kernels())
    EXPECT_TRUE(covered.count(k->name)) << k->name << " has no case in cases.cpp";
}

TEST(KernelCases, TheLibraryHasAtLeastTwentyKernels) { EXPECT_GE(all_kernels().size(), 20u); }

// The promises of the declarations that no OpenCV expression shows.
TEST(KernelBehaviour, CropThatDoesNotFitIsRefusedWithTheSizes) {
  const BuiltStep step("crop=8:8");
  cv::Mat out;
  try {
    step.kernel().apply(noise_image({7, 9}, 3), out);
    FAIL() << "a 7x9 image took an 8x8 crop";
  } catch (const KernelError& e) {
    EXPECT_STREQ(e.what(), "crop: 8x8 at (center, center) does not fit in a 7x9 image");
  }
}

TEST(KernelBehaviour, CentredCropUsesFloorOfHalfTheMargin) {
  // 6 - 3 = 3 spare columns: x = 3 // 2 = 1, as NumPy's img[(h-H)//2 : ..., (w-W)//2 : ...].
  cv::Mat in(1, 6, CV_8UC1), out;
  for (int x = 0; x < 6; ++x) in.at<std::uint8_t>(0, x) = std::uint8_t(x);
  BuiltStep("crop=3:1").kernel().apply(in, out);
  EXPECT_EQ(out.at<std::uint8_t>(0, 0), 1);
}

TEST(KernelBehaviour, ShorterKeepsTheAspectAndRoundsHalfUp) {
  cv::Mat out;
  BuiltStep("shorter=10").kernel().apply(noise_image({30, 20}, 3), out);  // 30 * 10 / 20 = 15
  EXPECT_EQ(out.size(), cv::Size(15, 10));
  BuiltStep("shorter=10").kernel().apply(noise_image({20, 36}, 3), out);  // 36 * 10 / 20 = 18
  EXPECT_EQ(out.size(), cv::Size(10, 18));
  BuiltStep("shorter=3").kernel().apply(noise_image({4, 2}, 3), out);  // 4 * 3 / 2 = 6
  EXPECT_EQ(out.size(), cv::Size(6, 3));
  BuiltStep("shorter=2").kernel().apply(noise_image({5, 4}, 3), out);  // 5 * 2 / 4 = 2.5 -> 3
  EXPECT_EQ(out.size(), cv::Size(3, 2));
}

TEST(KernelBehaviour, AnImageTooLongAndThinForTheStepFailsBeforeAnyPixelOfIt) {
  // shorter=32769 on a 65535x1 image: 2.1e9 wide, past int (it wrapped, the axes swapped, and
  // the image was "ok"); a 1x8000 one resized to 224x224 with mode=crop: 224x1792000 before
  // the crop, 1.2 GB for a 24 KB PNG.
  const cv::Mat wide = noise_image({65535, 1}, 3), thin = noise_image({1, 8000}, 3);
  const std::vector<std::tuple<const char*, const cv::Mat*, const char*>> refused = {
      {"shorter=32769", &wide, "shorter=32769: this 65535x1 image would become 2147516415x32769"},
      {"resize=1:32769:mode=crop", &wide, "resize mode=crop: this 65535x1 image would become 2147516415x32769"},
      {"resize=224:224:mode=crop", &thin, "resize mode=crop: this 1x8000 image would become 224x1792000"},
      {"shorter=224", &thin, "shorter=224: this 1x8000 image would become 224x1792000"}};
  for (const auto& [spec, in, words] : refused) {
    SCOPED_TRACE(spec);
    const BuiltStep step(spec);
    cv::Mat out;
    try {
      step.kernel().apply(*in, out);
      FAIL() << "made a " << out.cols << "x" << out.rows << " image";
    } catch (const KernelError& e) {
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    }
    EXPECT_EQ(step.kernel().stream(in->size(), CV_8UC3, out), nullptr);  // decoded whole, then refused
  }
  cv::Mat out;  // long and thin, but 8960x224 on the way is within the limit
  BuiltStep("resize=224:224:mode=crop").kernel().apply(noise_image({400, 10}, 3), out);
  EXPECT_EQ(out.size(), cv::Size(224, 224));
}

TEST(KernelBehaviour, GammaTableFollowsTheDocumentedFormula) {
  // round(255 * (i / 255) ** G): G = 2 maps 128 to 64.25 -> 64 and keeps 0 and 255.
  cv::Mat in = (cv::Mat_<std::uint8_t>(1, 3) << 0, 128, 255), out;
  BuiltStep("gamma=2").kernel().apply(in, out);
  EXPECT_EQ(out.at<std::uint8_t>(0, 0), 0);
  EXPECT_EQ(out.at<std::uint8_t>(0, 1), 64);
  EXPECT_EQ(out.at<std::uint8_t>(0, 2), 255);
}

TEST(KernelBehaviour, LayoutChwStoresPlanesOneAfterTheOther) {
  cv::Mat in(2, 3, CV_8UC3), out;
  for (int i = 0; i < 18; ++i) in.data[i] = std::uint8_t(i);  // pixel p has channels 3p, 3p+1, 3p+2
  BuiltStep("layout=chw").kernel().apply(in, out);
  ASSERT_EQ(out.size(), cv::Size(3, 6));
  ASSERT_TRUE(out.isContinuous());
  for (int c = 0; c < 3; ++c)
    for (int p = 0; p < 6; ++p) EXPECT_EQ(out.data[c * 6 + p], 3 * p + c) << "channel " << c << " pixel " << p;
}

TEST(KernelBehaviour, TileableKernelsDeclareAHalo) {
  // Local kernels must say so, or the schedule cannot spread one image over threads.
  for (const char* step : {"gray", "gauss=1", "box=3", "median=3", "sharpen", "sobel", "scharr", "laplacian",
                           "threshold=9", "invert", "brightness", "gamma=2", "normalize", "flip=h"})
    EXPECT_GE(BuiltStep(step).kernel().halo(), 0) << step;
  // Geometry and whole-image statistics must not be tiled.
  for (const char* step : {"resize=8:8", "shorter=8", "crop=8:8", "flip=v", "rotate=90", "canny", "threshold=otsu",
                           "equalize", "clahe", "layout=chw"})
    EXPECT_EQ(BuiltStep(step).kernel().halo(), -1) << step;
}

}  // namespace
}  // namespace imgshard::kernels::testing
