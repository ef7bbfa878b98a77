// brightness=alpha=A:beta=B: |A * img + B|, rounded and saturated to uint8.
#include <opencv2/core.hpp>

#include "kernels/common.hpp"
#include "kernels/kernel.hpp"

namespace imgshard::kernels {
namespace {

class Brightness final : public SameShape {
 public:
  static KernelSpec declaration() {
    return {
        .name = "brightness",
        .summary = "contrast A and brightness B: |A * img + B|, saturated to 0..255",
        .opencv = "cv2.convertScaleAbs(img, alpha=A, beta=B)",
        .args = {{.name = "alpha", .type = ArgType::number, .default_value = "1", .doc = "contrast gain A", .min = 0,
                  .max = 100},
                 {.name = "beta", .type = ArgType::number, .default_value = "0", .doc = "offset B (grey levels)",
                  .min = -255, .max = 255}},
    };
  }

  explicit Brightness(const ArgValues& a) : alpha_(a.number("alpha")), beta_(a.number("beta")) {}

  void apply(const cv::Mat& in, cv::Mat& out) const override { cv::convertScaleAbs(in, out, alpha_, beta_); }

  int halo() const override { return 0; }

 private:
  double alpha_, beta_;
};

}  // namespace

const KernelSpec& brightness_kernel() { return declared<Brightness>(); }

}  // namespace imgshard::kernels
