// sobel: gradient magnitude of the grey image, 3x3 Sobel derivatives.
#include <opencv2/imgproc.hpp>

#include "kernels/common.hpp"

namespace imgshard::kernels {
namespace {

void derivative(const cv::Mat& g, cv::Mat& d, int dx, int dy) { cv::Sobel(g, d, CV_32F, dx, dy, 3); }

}  // namespace

const KernelSpec& sobel_kernel() { return gradient_magnitude_kernel<derivative>("sobel", "Sobel"); }

}  // namespace imgshard::kernels
