#pragma once
// What kinds of image a kernel takes, said once so that every refusal reads the same way.
// Used by the kernels' output_shape (before any work) and by the few apply() that need it.
#include <string_view>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include "kernels/kernel.hpp"

namespace imgshard::kernels {

// layout=chw must be the last step: the stored tensor is planar from there on.
inline void require_hwc(std::string_view kernel, const ImageShape& in) {
  if (in.layout != Layout::hwc)
    throw KernelError(fmt::format("{}: cannot follow layout=chw (layout must be the last step)", kernel));
}

// Grey-level kernels (histograms, LUTs, thresholds, median, edges) work on uint8; normalize is
// the one step that makes float32, so say which step is in the way.
inline void require_u8(std::string_view kernel, const ImageShape& in) {
  require_hwc(kernel, in);
  if (in.type != ElemType::u8)
    throw KernelError(
        fmt::format("{}: needs uint8 input, but follows normalize (float32): put normalize after it", kernel));
}

// The one-channel image edge and threshold kernels work on: `g` in their OpenCV expression,
// cv2.cvtColor(img, cv2.COLOR_RGB2GRAY) for 3 channels, the image itself for 1.
inline void gray_of(const cv::Mat& in, cv::Mat& gray) {
  if (in.channels() == 1)
    gray = in;
  else
    cv::cvtColor(in, gray, cv::COLOR_RGB2GRAY);
}

// The half-size of the kernel cv::GaussianBlur derives from sigma when ksize is 0 (OpenCV's
// createGaussianKernels: round(sigma * 3 * 2 + 1) | 1 for uint8, * 4 for float). The float
// rule is the wider one, so a row tile given this halo is exact for both types.
inline int gaussian_halo(double sigma, int ksize) {
  if (ksize > 0) return ksize / 2;
  return (cvRound(sigma * 4 * 2 + 1) | 1) / 2;
}

}  // namespace imgshard::kernels
