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

// The shape of the grey-level kernels (gray, edges, thresholds): uint8 in, one channel out.
inline ImageShape one_channel_u8(std::string_view kernel, const ImageShape& in) {
  require_u8(kernel, in);
  ImageShape out = in;
  out.channels = 1;
  return out;
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

// sobel and scharr: |(dx, dy)| of the grey image in float32, rounded to nearest and
// saturated to uint8, one channel. `derive(g, d, dx, dy)` computes one derivative.
class GradientMagnitude : public Kernel {
 public:
  using Derivative = void (*)(const cv::Mat& g, cv::Mat& d, int dx, int dy);
  GradientMagnitude(std::string_view name, Derivative derive) : name_(name), derive_(derive) {}

  ImageShape output_shape(const ImageShape& in) const override { return one_channel_u8(name_, in); }

  void apply(const cv::Mat& in, cv::Mat& out) const override {
    cv::Mat g, dx, dy;
    gray_of(in, g);
    derive_(g, dx, 1, 0);
    derive_(g, dy, 0, 1);
    cv::magnitude(dx, dy, dx);
    dx.convertTo(out, CV_8U);
  }

  int halo() const override { return 1; }  // 3x3 derivatives

 private:
  std::string_view name_;
  Derivative derive_;
};

}  // namespace imgshard::kernels
