// laplacian: absolute Laplacian of the grey image (3x3 aperture), one channel.
#include <opencv2/imgproc.hpp>

#include "kernels/common.hpp"
#include "kernels/kernel.hpp"

namespace imgshard::kernels {
namespace {

class Laplacian final : public OneChannel {
 public:
  static KernelSpec declaration() {
    return {
        .name = "laplacian",
        .summary = "absolute Laplacian of the grey image, one channel",
        .opencv = "cv2.convertScaleAbs(cv2.Laplacian(g, cv2.CV_16S))",
    };
  }

  void apply(const cv::Mat& in, cv::Mat& out) const override {
    cv::Mat g, lap;
    gray_of(in, g);
    cv::Laplacian(g, lap, CV_16S);
    cv::convertScaleAbs(lap, out);
  }

  int halo() const override { return 1; }
};

}  // namespace

const KernelSpec& laplacian_kernel() { return declared<Laplacian>(); }

}  // namespace imgshard::kernels
