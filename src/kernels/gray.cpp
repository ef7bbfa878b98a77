// gray: RGB to one grey channel (ITU-R BT.601 weights, OpenCV's fixed-point rounding).
#include <opencv2/imgproc.hpp>

#include "kernels/input_rules.hpp"
#include "kernels/kernel.hpp"

namespace imgshard::kernels {
namespace {

class Gray final : public Kernel {
 public:
  ImageShape output_shape(const ImageShape& in) const override { return one_channel_u8("gray", in); }

  // A one-channel image is already grey: it is copied unchanged.
  void apply(const cv::Mat& in, cv::Mat& out) const override {
    if (in.channels() == 1)
      in.copyTo(out);
    else
      cv::cvtColor(in, out, cv::COLOR_RGB2GRAY);
  }

  int halo() const override { return 0; }
};

}  // namespace

const KernelSpec& gray_kernel() {
  static const KernelSpec spec{
      .name = "gray",
      .summary = "one grey channel (a grey image passes unchanged)",
      .opencv = "cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)",
      .args = {},
      .make = [](const ArgValues&) -> std::unique_ptr<Kernel> { return std::make_unique<Gray>(); },
  };
  return spec;
}

}  // namespace imgshard::kernels
