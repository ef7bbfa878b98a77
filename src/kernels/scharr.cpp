// scharr: gradient magnitude of the grey image, 3x3 Scharr derivatives (better rotation symmetry).
#include <opencv2/imgproc.hpp>

#include "kernels/common.hpp"

namespace imgshard::kernels {
namespace {

void derivative(const cv::Mat& g, cv::Mat& d, int dx, int dy) { cv::Scharr(g, d, CV_32F, dx, dy); }

}  // namespace

const KernelSpec& scharr_kernel() { return gradient_magnitude_kernel<derivative>("scharr", "Scharr"); }

}  // namespace imgshard::kernels
