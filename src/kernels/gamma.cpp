// gamma=G: out = round(255 * (img / 255) ** G) through a 256-entry table.
#include <cmath>

#include <opencv2/core.hpp>

#include "kernels/common.hpp"
#include "kernels/kernel.hpp"

namespace imgshard::kernels {
namespace {

class Gamma final : public SameShape {
 public:
  static KernelSpec declaration() {
    return {
        .name = "gamma",
        .summary = "gamma curve through a lookup table: G < 1 brightens, G > 1 darkens",
        .opencv = "cv2.LUT(img, np.floor(255 * (np.arange(256) / 255) ** G + 0.5).astype(np.uint8))",
        .args = {{.name = "gamma", .type = ArgType::number, .doc = "exponent G", .min = 0, .max = 100,
                  .min_exclusive = true}},
    };
  }

  // G < 1 brightens, G > 1 darkens (as torchvision's adjust_gamma and skimage's adjust_gamma);
  // round halves up, i.e. floor(x + 0.5).
  explicit Gamma(const ArgValues& a) : table_(1, 256, CV_8U) {
    const double g = a.number("gamma");
    for (int i = 0; i < 256; ++i)
      table_.at<std::uint8_t>(i) = cv::saturate_cast<std::uint8_t>(std::floor(255 * std::pow(i / 255.0, g) + 0.5));
  }

  void apply(const cv::Mat& in, cv::Mat& out) const override { cv::LUT(in, table_, out); }

  int halo() const override { return 0; }

 private:
  cv::Mat table_;
};

}  // namespace

const KernelSpec& gamma_kernel() { return declared<Gamma>(); }

}  // namespace imgshard::kernels
