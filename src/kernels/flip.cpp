// flip=h|v|hv: mirror left-right, top-bottom, or both.
#include <opencv2/core.hpp>

#include "kernels/input_rules.hpp"
#include "kernels/kernel.hpp"

namespace imgshard::kernels {
namespace {

class Flip final : public Kernel {
 public:
  explicit Flip(const ArgValues& a)
      : code_(a.text("axis") == "h" ? 1 : a.text("axis") == "v" ? 0 : -1) {}

  ImageShape output_shape(const ImageShape& in) const override {
    require_hwc("flip", in);
    return in;
  }

  void apply(const cv::Mat& in, cv::Mat& out) const override { cv::flip(in, out, code_); }

  // A left-right mirror keeps every row where it is; the others move rows.
  int halo() const override { return code_ == 1 ? 0 : -1; }

 private:
  int code_;  // cv::flip's flipCode
};

}  // namespace

const KernelSpec& flip_kernel() {
  static const KernelSpec spec{
      .name = "flip",
      .summary = "mirror: h left-right, v top-bottom, hv both",
      .opencv = "cv2.flip(img, 1)  # v: 0, hv: -1",
      .args = {{.name = "axis",
                .type = ArgType::choice,
                .default_value = "h",
                .doc = "h: left-right, v: top-bottom, hv: both (a 180 degree turn)",
                .choices = {"h", "v", "hv"}}},
      .make = [](const ArgValues& a) -> std::unique_ptr<Kernel> { return std::make_unique<Flip>(a); },
  };
  return spec;
}

}  // namespace imgshard::kernels
