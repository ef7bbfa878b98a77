// median=K: median of a K x K window, per channel.
#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include "kernels/common.hpp"
#include "kernels/kernel.hpp"

namespace imgshard::kernels {
namespace {

class Median final : public SameShape {
 public:
  static KernelSpec declaration() {
    return {
        .name = "median",
        .summary = "median filter over a K x K window",
        .opencv = "cv2.medianBlur(img, K)",
        .args = {{.name = "ksize", .type = ArgType::integer, .doc = "odd window size (px)", .min = 1, .max = 255}},
    };
  }

  explicit Median(const ArgValues& a) : ksize_(a.integer("ksize")) {
    if (ksize_ % 2 == 0) throw KernelError(fmt::format("median: ksize must be odd, got '{}'", ksize_));
  }

  void apply(const cv::Mat& in, cv::Mat& out) const override { cv::medianBlur(in, out, ksize_); }

  int halo() const override { return ksize_ / 2; }

 private:
  int ksize_;
};

}  // namespace

const KernelSpec& median_kernel() { return declared<Median>(); }

}  // namespace imgshard::kernels
