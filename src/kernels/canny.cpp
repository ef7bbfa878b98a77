// canny=LO:HI: Canny edges of the grey image (3x3 Sobel, L1 gradient), 0 or 255.
#include <opencv2/imgproc.hpp>

#include "kernels/common.hpp"
#include "kernels/kernel.hpp"

namespace imgshard::kernels {
namespace {

class Canny final : public OneChannel {
 public:
  static KernelSpec declaration() {
    return {
        .name = "canny",
        .summary = "Canny edge map of the grey image (0 or 255), one channel",
        .opencv = "cv2.Canny(g, LO, HI)",
        .args = {{.name = "low", .type = ArgType::number, .default_value = "100",
                  .doc = "hysteresis: weaker edges kept only when linked to strong ones", .min = 0, .max = 10000},
                 {.name = "high", .type = ArgType::number, .default_value = "200",
                  .doc = "hysteresis: gradient that starts an edge", .min = 0, .max = 10000}},
    };
  }

  explicit Canny(const ArgValues& a) : low_(a.number("low")), high_(a.number("high")) {}

  void apply(const cv::Mat& in, cv::Mat& out) const override {
    cv::Mat g;
    gray_of(in, g);
    cv::Canny(g, out, low_, high_);
  }
  // Not tileable: hysteresis follows an edge across the whole image.

 private:
  double low_, high_;
};

}  // namespace

const KernelSpec& canny_kernel() { return declared<Canny>(); }

}  // namespace imgshard::kernels
