// laplacian: absolute Laplacian of the grey image (3x3 aperture), one channel.
#include <opencv2/imgproc.hpp>

#include "kernels/input_rules.hpp"
#include "kernels/kernel.hpp"

namespace imgshard::kernels {
namespace {

class Laplacian final : public Kernel {
 public:
  ImageShape output_shape(const ImageShape& in) const override { return one_channel_u8("laplacian", in); }

  void apply(const cv::Mat& in, cv::Mat& out) const override {
    cv::Mat g, lap;
    gray_of(in, g);
    cv::Laplacian(g, lap, CV_16S);
    cv::convertScaleAbs(lap, out);
  }

  int halo() const override { return 1; }
};

}  // namespace

const KernelSpec& laplacian_kernel() {
  static const KernelSpec spec{
      .name = "laplacian",
      .summary = "absolute Laplacian of the grey image, one channel",
      .opencv = "cv2.convertScaleAbs(cv2.Laplacian(g, cv2.CV_16S))",
      .args = {},
      .make = [](const ArgValues&) -> std::unique_ptr<Kernel> { return std::make_unique<Laplacian>(); },
  };
  return spec;
}

}  // namespace imgshard::kernels
