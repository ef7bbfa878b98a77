// invert: 255 - img.
#include <opencv2/core.hpp>

#include "kernels/input_rules.hpp"
#include "kernels/kernel.hpp"

namespace imgshard::kernels {
namespace {

class Invert final : public Kernel {
 public:
  ImageShape output_shape(const ImageShape& in) const override {
    require_u8("invert", in);
    return in;
  }

  // For uint8, bitwise not is 255 - x.
  void apply(const cv::Mat& in, cv::Mat& out) const override { cv::bitwise_not(in, out); }

  int halo() const override { return 0; }
};

}  // namespace

const KernelSpec& invert_kernel() {
  static const KernelSpec spec{
      .name = "invert",
      .summary = "negative image",
      .opencv = "255 - img",
      .args = {},
      .make = [](const ArgValues&) -> std::unique_ptr<Kernel> { return std::make_unique<Invert>(); },
  };
  return spec;
}

}  // namespace imgshard::kernels
