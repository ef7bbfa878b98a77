// scharr: gradient magnitude of the grey image, 3x3 Scharr derivatives (better rotation symmetry).
#include <opencv2/imgproc.hpp>

#include "kernels/input_rules.hpp"
#include "kernels/kernel.hpp"

namespace imgshard::kernels {
namespace {

void derivative(const cv::Mat& g, cv::Mat& d, int dx, int dy) { cv::Scharr(g, d, CV_32F, dx, dy); }

}  // namespace

const KernelSpec& scharr_kernel() {
  static const KernelSpec spec{
      .name = "scharr",
      .summary = "edge strength: magnitude of the 3x3 Scharr gradient of the grey image, one channel",
      .opencv = "cv2.convertScaleAbs(cv2.magnitude(cv2.Scharr(g, cv2.CV_32F, 1, 0), cv2.Scharr(g, cv2.CV_32F, 0, 1)))",
      .args = {},
      .make = [](const ArgValues&) -> std::unique_ptr<Kernel> { return std::make_unique<GradientMagnitude>("scharr", derivative); },
  };
  return spec;
}

}  // namespace imgshard::kernels
