#pragma once
// The table every kernel test and benchmark reads: each kernel with argument values, and the
// OpenCV expression it must equal (the "= ..." of its declaration, written out in C++).
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "pipeline/pipeline.hpp"

namespace imgshard::kernels::testing {

// How far a kernel may be from its OpenCV expression (max absolute difference, NORM_INF),
// each with the reason, in one place.
namespace tolerance {
// The kernel calls the same OpenCV function, or integer arithmetic: any difference is a bug.
inline constexpr double exact = 0;
// float32 results whose arithmetic we order differently (a table, a fused loop): last bits.
inline constexpr double float32 = 1e-5;
}  // namespace tolerance

struct KernelCase {
  std::string step;  // as written in a pipeline, e.g. "gauss=sigma=1.5"
  std::function<void(const cv::Mat& in, cv::Mat& out)> opencv;  // the expression it equals
  double tolerance = tolerance::exact;
  std::vector<int> channels = {1, 3};
  bool float_input = false;  // also takes the float32 images of normalize
  cv::Size min_size{1, 1};   // smaller images are refused by design (a crop)
  // For the benchmark only: the fastest plain OpenCV way to the same result, where `opencv`
  // is written for clarity (e.g. normalize's reference loops in double, as NumPy computes).
  std::function<void(const cv::Mat& in, cv::Mat& out)> bare;
};

// gtest prints a case by its step, not as raw bytes (ctest shows this in every test name).
inline void PrintTo(const KernelCase& c, std::ostream* os) { *os << c.step; }

const std::vector<KernelCase>& kernel_cases();

// The kernel of one step, built by the real parser (Pipeline::parse) and kept alive with it.
class BuiltStep {
 public:
  explicit BuiltStep(const std::string& step);
  const Kernel& kernel() const { return *pipeline_->steps()[index_].kernel; }

 private:
  std::unique_ptr<pipeline::Pipeline> pipeline_;
  std::size_t index_ = 0;
};

// Deterministic test images: uniform noise from a fixed seed (uint8 0..255, float32 -3..3).
cv::Mat noise_image(cv::Size size, int channels, bool float32 = false, std::uint64_t seed = 0x5eed);
// A real photo from data/sample, RGB, as OpenCV decodes it.
cv::Mat sample_photo(const std::string& relative_path);

// "gauss=sigma=1.5" -> "gauss_sigma_1_5", for test names.
std::string test_name(const std::string& step);

}  // namespace imgshard::kernels::testing
