// invert: 255 - img.
#include <opencv2/core.hpp>

#include "kernels/common.hpp"
#include "kernels/kernel.hpp"

namespace imgshard::kernels {
namespace {

class Invert final : public SameShape {
 public:
  static KernelSpec declaration() {
    return {
        .name = "invert",
        .summary = "negative image",
        .opencv = "255 - img",
    };
  }

  // For uint8, bitwise not is 255 - x.
  void apply(const cv::Mat& in, cv::Mat& out) const override { cv::bitwise_not(in, out); }

  int halo() const override { return 0; }
};

}  // namespace

const KernelSpec& invert_kernel() { return declared<Invert>(); }

}  // namespace imgshard::kernels
