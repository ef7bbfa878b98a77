// gray: RGB to one grey channel (ITU-R BT.601 weights, OpenCV's fixed-point rounding).
#include <opencv2/imgproc.hpp>

#include "kernels/common.hpp"
#include "kernels/kernel.hpp"

namespace imgshard::kernels {
namespace {

class Gray final : public OneChannel {
 public:
  static KernelSpec declaration() {
    return {
        .name = "gray",
        .summary = "one grey channel (a grey image passes unchanged)",
        .opencv = "cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)",
    };
  }

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

const KernelSpec& gray_kernel() { return declared<Gray>(); }

}  // namespace imgshard::kernels
