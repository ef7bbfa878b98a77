// sobel: gradient magnitude of the grey image, 3x3 Sobel derivatives.
#include <opencv2/imgproc.hpp>

#include "kernels/input_rules.hpp"
#include "kernels/kernel.hpp"

namespace imgshard::kernels {
namespace {

class Sobel final : public Kernel {
 public:
  ImageShape output_shape(const ImageShape& in) const override {
    require_u8("sobel", in);
    ImageShape out = in;
    out.channels = 1;
    return out;
  }

  // |(dx, dy)| in float32, then rounded to nearest (ties to even) and saturated to 0..255.
  void apply(const cv::Mat& in, cv::Mat& out) const override {
    cv::Mat g, dx, dy;
    gray_of(in, g);
    cv::Sobel(g, dx, CV_32F, 1, 0, 3);
    cv::Sobel(g, dy, CV_32F, 0, 1, 3);
    cv::magnitude(dx, dy, dx);
    dx.convertTo(out, CV_8U);
  }

  int halo() const override { return 1; }
};

}  // namespace

const KernelSpec& sobel_kernel() {
  static const KernelSpec spec{
      .name = "sobel",
      .summary = "edge strength: magnitude of the 3x3 Sobel gradient of the grey image, one channel",
      .opencv = "cv2.convertScaleAbs(cv2.magnitude(cv2.Sobel(g, cv2.CV_32F, 1, 0), cv2.Sobel(g, cv2.CV_32F, 0, 1)))",
      .args = {},
      .make = [](const ArgValues&) -> std::unique_ptr<Kernel> { return std::make_unique<Sobel>(); },
  };
  return spec;
}

}  // namespace imgshard::kernels
