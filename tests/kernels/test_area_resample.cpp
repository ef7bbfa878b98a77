// The INTER_AREA resampler equals cv::resize(INTER_AREA), bit for bit: a table of cases in
// the manner of OpenCV's test_resize_bitexact.cpp (1 to 4 channels, uint8 and float32,
// tiny, odd, prime and non-divisible sizes, down- and upscales, integer ratios), on every
// instruction set this CPU has, then a fixed-seed random sweep, a photo, the row-by-row
// interface, and the decoder feeding the first step row by row.
#include <cstring>
#include <iostream>

#include <gtest/gtest.h>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

#include <opencv2/imgcodecs.hpp>

#include "cases.hpp"
#include "io/decode.hpp"
#include "kernels/area_resample.hpp"

namespace imgshard::kernels::testing {
namespace {

// How far our result may be from cv::resize's, in one place. The resampler computes each
// output from the same float32 weights with the same float32 products and sums in the same
// order as OpenCV 4.6's resizeArea_, so nothing may differ: 0, compared bit for bit (float32
// too: the same bits, not merely the same value).
constexpr double kTolerance = tolerance::exact;

enum class Route { ours, opencv };  // who computes the case (area_resampler_handles)

struct AreaCase {
  cv::Size src, dst;
  Route route;
  const char* why;
};

const std::vector<AreaCase> kCases = {
    // Tiny and degenerate.
    {{2, 2}, {1, 1}, Route::opencv, "integer ratio 2"},
    {{3, 2}, {2, 1}, Route::ours, "1.5 x 2"},
    {{5, 1}, {2, 1}, Route::ours, "one row"},
    {{1, 7}, {1, 3}, Route::ours, "one column"},
    {{3, 3}, {2, 2}, Route::ours, "3 -> 2: every output has a partial tap"},
    {{7, 5}, {3, 2}, Route::ours, "odd"},
    {{13, 11}, {5, 4}, Route::ours, "odd, prime"},
    // Prime and non-divisible.
    {{97, 89}, {31, 29}, Route::ours, "primes"},
    {{101, 103}, {100, 102}, Route::ours, "a hair below 1:1 (two taps per output)"},
    {{127, 131}, {17, 19}, Route::ours, "primes, 7x"},
    {{640, 480}, {224, 224}, Route::ours, "different ratio per axis"},
    {{800, 750}, {224, 224}, Route::ours, "the benchmark's typical photo"},
    {{1024, 768}, {224, 224}, Route::ours, "4.57 x 3.43"},
    {{1000, 750}, {341, 256}, Route::ours, "shorter=256"},
    {{401, 300}, {224, 224}, Route::ours, "after a 1/2 DCT-scaled decode"},
    {{2000, 1501}, {13, 11}, Route::ours, "more taps than the unrolled loops (generic loop)"},
    {{4001, 3}, {9, 1}, Route::ours, "444 taps on one axis"},
    {{33, 1000}, {32, 999}, Route::ours, "one axis barely scaled"},
    {{300, 200}, {300, 150}, Route::ours, "one axis unscaled"},
    {{300, 200}, {200, 200}, Route::ours, "the other axis unscaled"},
    // OpenCV's other routes.
    {{448, 448}, {224, 224}, Route::opencv, "integer ratio 2"},
    {{672, 448}, {224, 224}, Route::opencv, "integer ratios 3 and 2"},
    {{300, 200}, {100, 200}, Route::opencv, "integer ratio 3 and 1"},
    {{224, 224}, {224, 224}, Route::opencv, "same size: a copy"},
    {{5, 5}, {7, 7}, Route::opencv, "upscale"},
    {{10, 5}, {7, 7}, Route::opencv, "down on one axis, up on the other"},
};

// "" when `got` holds the same bits as `want`, else what differs (size, channels, type, max
// difference) in one line.
std::string compare(const std::string& what, const cv::Mat& got, const cv::Mat& want) {
  if (got.size() != want.size() || got.type() != want.type())
    return cv::format("%s: got %dx%d type %d, cv::resize gives %dx%d type %d", what.c_str(), got.cols, got.rows,
                      got.type(), want.cols, want.rows, want.type());
  const double diff = cv::norm(got, want, cv::NORM_INF);
  bool same_bits = true;
  for (int y = 0; y < got.rows && same_bits; ++y)
    same_bits = std::memcmp(got.ptr(y), want.ptr(y), got.cols * got.elemSize()) == 0;
  if (diff > kTolerance || !same_bits)
    return cv::format("%s: max difference %g (tolerance %g)%s", what.c_str(), diff, kTolerance,
                      same_bits ? "" : ", bits differ");
  return "";
}

std::string describe(const AreaCase& c, int channels, bool float32, const std::string& isa) {
  return cv::format("%dx%d -> %dx%d, %d channel%s, %s, %s (%s)", c.src.width, c.src.height, c.dst.width,
                    c.dst.height, channels, channels == 1 ? "" : "s", float32 ? "float32" : "uint8", isa.c_str(),
                    c.why);
}

// Every instruction set in turn, then back to the best one.
class EachInstructionSet : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    cv::setNumThreads(1);
    area_resampler_use_isa(GetParam());
  }
  void TearDown() override { area_resampler_use_isa(""); }
};

TEST_P(EachInstructionSet, EqualsOpenCVOverTheCaseTable) {
  int ours = 0;
  for (const AreaCase& c : kCases)
    for (bool float32 : {false, true})
      for (int channels = 1; channels <= 4; ++channels) {
        const std::string what = describe(c, channels, float32, GetParam());
        const cv::Mat in = noise_image(c.src, channels, float32);
        EXPECT_EQ(area_resampler_handles(c.src, c.dst, in.type()), c.route == Route::ours) << what;
        cv::Mat got, want;
        resize_area(in, got, c.dst);
        cv::resize(in, want, c.dst, 0, 0, cv::INTER_AREA);
        EXPECT_EQ(compare(what, got, want), "");
        ours += c.route == Route::ours;
      }
  EXPECT_GT(ours, 100);
}

TEST_P(EachInstructionSet, EqualsOpenCVOnAPhoto) {
  const cv::Mat photo = sample_photo("animals/baboon.jpg");  // 512x512
  cv::Mat grey, rgba;
  cv::cvtColor(photo, grey, cv::COLOR_RGB2GRAY);
  cv::cvtColor(photo, rgba, cv::COLOR_RGB2RGBA);
  for (const cv::Mat& in : {grey, photo, rgba})
    for (cv::Size size : {cv::Size(224, 224), cv::Size(300, 171), cv::Size(511, 3)}) {
      cv::Mat got, want;
      resize_area(in, got, size);
      cv::resize(in, want, size, 0, 0, cv::INTER_AREA);
      EXPECT_EQ(compare(cv::format("baboon.jpg, %d channels, to %dx%d, %s", in.channels(), size.width, size.height,
                                   GetParam().c_str()),
                        got, want),
                "");
    }
}

INSTANTIATE_TEST_SUITE_P(AreaResampler, EachInstructionSet, ::testing::ValuesIn(area_resampler_isas()),
                         [](const auto& info) { return test_name(info.param); });

// Random sizes, channels and types from a fixed seed: always the same 600 cases. Prints the
// fidelity figures (max difference, share of equal values) over them.
TEST(AreaResampler, EqualsOpenCVOverAFixedRandomSweep) {
  cv::setNumThreads(1);
  cv::RNG rng(20240614);
  constexpr int kCount = 600;
  int ours = 0;
  double max_diff = 0, equal = 0, values = 0;
  for (int i = 0; i < kCount; ++i) {
    const cv::Size src(rng.uniform(1, 400), rng.uniform(1, 400));
    const cv::Size dst(rng.uniform(1, src.width + 1), rng.uniform(1, src.height + 1));
    const int channels = rng.uniform(1, 5);
    const bool float32 = rng.uniform(0, 4) == 0;
    const cv::Mat in = noise_image(src, channels, float32, 1000 + std::uint64_t(i));
    cv::Mat got, want;
    resize_area(in, got, dst);
    cv::resize(in, want, dst, 0, 0, cv::INTER_AREA);
    const AreaCase c{src, dst, Route::ours, "random"};
    ASSERT_EQ(compare(describe(c, channels, float32, area_resampler_isa()) + cv::format(", case %d", i), got, want),
              "");
    ours += area_resampler_handles(src, dst, in.type());
    cv::Mat ne;
    cv::compare(got.reshape(1), want.reshape(1), ne, cv::CMP_NE);
    equal += double(ne.total()) - cv::countNonZero(ne);
    values += double(ne.total());
    max_diff = std::max(max_diff, cv::norm(got, want, cv::NORM_INF));
  }
  EXPECT_GT(ours, kCount * 9 / 10);  // nearly all random pairs are non-integer downscales
  std::cout << cv::format("fidelity over %d random cases (%d by our resampler): max difference %g, %.4f%% of %.0f "
                          "values equal\n",
                          kCount, ours, max_diff, 100 * equal / values, values);
}

// A region of a larger image in, a region of a larger image out (resize's pad mode writes
// into its canvas that way): the rows are strided, the bytes around stay untouched.
TEST(AreaResampler, ReadsAndWritesRegionsOfLargerImages) {
  const cv::Mat big = noise_image({120, 90}, 3);
  const cv::Mat in = big(cv::Rect(7, 5, 100, 80));
  cv::Mat canvas(60, 70, CV_8UC3, cv::Scalar::all(42));
  cv::Mat target = canvas(cv::Rect(10, 20, 33, 27));
  resize_area(in, target, {33, 27});
  EXPECT_EQ(target.data, canvas.ptr(20) + 10 * 3) << "the region was reallocated";
  cv::Mat want;
  cv::resize(in, want, {33, 27}, 0, 0, cv::INTER_AREA);
  EXPECT_EQ(compare("region", target.clone(), want), "");
  cv::Mat outside = canvas.clone();
  outside(cv::Rect(10, 20, 33, 27)).setTo(cv::Scalar::all(42));
  EXPECT_EQ(cv::countNonZero(outside.reshape(1) != 42), 0) << "bytes outside the region changed";
}

// Rows handed over one at a time from a decoder-sized buffer give what the whole image gives
// (1 and 2 channels are resampled 4 / channels rows at a time: 301 rows leave a short pass).
TEST(AreaResampler, RowByRowEqualsWholeImage) {
  for (int channels = 1; channels <= 4; ++channels) {
    const cv::Mat in = noise_image({401, 301}, channels);
    cv::Mat want, got;
    resize_area(in, want, {224, 128});
    AreaResampler resampler(in.size(), {224, 128}, in.type(), got);
    const std::size_t bytes = std::size_t(in.cols) * channels;
    std::vector<std::uint8_t> row(bytes + AreaResampler::kRowPadding);
    for (int y = 0; y < in.rows; ++y) {
      EXPECT_FALSE(resampler.done()) << "done before row " << y;
      std::memcpy(row.data(), in.ptr(y), bytes);
      std::memset(row.data() + bytes, 0xA5, AreaResampler::kRowPadding);  // never used
      resampler.push(row.data());
    }
    EXPECT_TRUE(resampler.done());
    EXPECT_EQ(resampler.rows_pushed(), in.rows);
    EXPECT_EQ(compare(cv::format("row by row, %d channels", channels), got, want), "");
    EXPECT_THROW(resampler.push(row.data()), std::logic_error);
  }
}

// The rows of `in`, each copied into a padded buffer as a decoder hands them over.
void push_rows(RowStream& stream, const cv::Mat& in) {
  std::vector<std::uint8_t> row(in.cols * in.elemSize() + RowStream::kRowPadding);
  for (int y = 0; y < in.rows; ++y) {
    std::memcpy(row.data(), in.ptr(y), in.cols * in.elemSize());
    stream.push(row.data());
  }
  stream.finish();
}

// resize (each mode) and shorter fed row by row leave what apply() leaves, bit for bit;
// steps our resampler does not take offer no stream.
TEST(AreaResampler, StepsFedRowByRowEqualApply) {
  const cv::Mat in = noise_image({301, 203}, 3);
  for (const char* step : {"resize=31:17", "resize=224:100", "resize=32:24:mode=crop", "resize=32:24:mode=pad:fill=7",
                           "resize=40:10:mode=pad", "shorter=64", "shorter=200"}) {
    const BuiltStep built(step);
    cv::Mat want, got;
    built.kernel().apply(in, want);
    auto stream = built.kernel().stream(in.size(), in.type(), got);
    ASSERT_NE(stream, nullptr) << step;
    push_rows(*stream, in);
    EXPECT_EQ(compare(step, got, want), "");
  }
  cv::Mat out;
  for (const char* step : {"resize=224:224:interp=linear", "shorter=64:interp=cubic", "gray", "crop=5:3"})
    EXPECT_EQ(BuiltStep(step).kernel().stream(in.size(), in.type(), out), nullptr) << step;
  EXPECT_EQ(BuiltStep("resize=150:101").kernel().stream({300, 202}, CV_8UC3, out), nullptr) << "integer ratio";
  EXPECT_EQ(BuiltStep("resize=400:400").kernel().stream({300, 202}, CV_8UC3, out), nullptr) << "upscale";
}

// Collects the rows a decoder hands over.
class CollectRows final : public io::RowSink {
 public:
  explicit CollectRows(bool take) : take_(take) {}
  bool begin(cv::Size size) override {
    image.create(size, CV_8UC3);
    return take_;
  }
  void row(const std::uint8_t* rgb) override { std::memcpy(image.ptr(rows++), rgb, image.cols * 3); }
  cv::Mat image;
  int rows = 0;

 private:
  bool take_;
};

// The decoder hands a sink that takes them the rows it would have stored, at full size and at
// a DCT scale, and decodes the image whole when the sink declines.
TEST(AreaResampler, DecoderHandsOverTheRowsItWouldStore) {
  std::vector<std::uint8_t> jpeg;
  cv::imencode(".jpg", noise_image({203, 151}, 3), jpeg);
  for (bool fast : {false, true}) {
    io::Decoder decoder;
    io::DecodeOptions options;
    options.shrink_on_load = fast;
    const io::ShrinkLimit half = [](cv::Size s) { return cv::Size((s.width + 1) / 2, (s.height + 1) / 2); };
    io::DecodedImage whole, streamed;
    std::string error;
    ASSERT_EQ(decoder.decode(jpeg, options, &half, whole, error), io::ImageStatus::ok) << error;
    CollectRows sink(true);
    ASSERT_EQ(decoder.decode(jpeg, options, &half, streamed, error, &sink), io::ImageStatus::ok) << error;
    EXPECT_TRUE(streamed.streamed);
    EXPECT_FALSE(whole.streamed);
    EXPECT_EQ(sink.rows, whole.rgb.rows);
    EXPECT_EQ(compare(fast ? "rows at 1/2 scale" : "rows", sink.image, whole.rgb), "");
    EXPECT_EQ(streamed.width, 203);
    EXPECT_EQ(streamed.height, 151);
    CollectRows declines(false);
    ASSERT_EQ(decoder.decode(jpeg, options, &half, streamed, error, &declines), io::ImageStatus::ok) << error;
    EXPECT_FALSE(streamed.streamed);
    EXPECT_EQ(declines.rows, 0);
    EXPECT_EQ(compare("declined", streamed.rgb, whole.rgb), "");
  }
}

TEST(AreaResampler, RefusesWhatItDoesNotHandle) {
  cv::Mat out;
  EXPECT_FALSE(area_resampler_handles({448, 448}, {224, 224}, CV_8UC3));
  EXPECT_FALSE(area_resampler_handles({100, 100}, {150, 50}, CV_8UC3));
  EXPECT_FALSE(area_resampler_handles({100, 100}, {30, 30}, CV_16UC3));
  EXPECT_FALSE(area_resampler_handles({100, 100}, {30, 30}, CV_8UC(5)));
  EXPECT_TRUE(area_resampler_handles({100, 100}, {30, 30}, CV_8UC3));
  EXPECT_THROW(AreaResampler({448, 448}, {224, 224}, CV_8UC3, out), std::logic_error);
}

TEST(AreaResampler, UnknownInstructionSetIsRefused) {
  EXPECT_THROW(area_resampler_use_isa("MMX"), std::invalid_argument);
  EXPECT_FALSE(area_resampler_isas().empty());
  EXPECT_EQ(area_resampler_isa(), area_resampler_isas().front());
}

}  // namespace
}  // namespace imgshard::kernels::testing
