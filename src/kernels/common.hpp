#pragma once
// What several kernels share: arguments declared alike, the shapes most of them give (the
// input's own, or one grey channel), the grey image the edge and threshold kernels work on.
// What a kernel takes is its declaration's Input, checked by the pipeline (check_input).
#include <algorithm>
#include <climits>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include "kernels/kernel.hpp"

namespace imgshard::kernels {

inline constexpr int kMaxSide = 65535;  // the largest width, height or offset an argument takes

// A size in pixels: resize's and crop's width and height, shorter's side.
inline ArgSpec pixels_arg(std::string name, std::string doc) {
  return {.name = std::move(name), .type = ArgType::integer, .doc = std::move(doc), .min = 1, .max = kMaxSide};
}

// The most pixels an image a step makes on the way (resize's before its crop, shorter's) may
// have when its source has fewer: Pillow's limit, the default --max-pixels.
inline constexpr double kMaxStepPixels = 178956970;

// `width` x `height` rounded half away from zero (as std::lround), or nullopt when that is no
// image to make: a side past INT_MAX, or more pixels than both kMaxStepPixels and `source`.
// A 1x8000 PNG resized to 224x224 with mode=crop would be 224x1792000 (1.2 GB) before its
// crop; a 65535x1 one given shorter=32769 would be 2.1e9 wide.
inline std::optional<cv::Size> step_size(double width, double height, cv::Size source) {
  const double w = std::round(width), h = std::round(height);
  if (!(w <= INT_MAX && h <= INT_MAX) || w * h > std::max(kMaxStepPixels, double(source.width) * source.height))
    return std::nullopt;
  return cv::Size(int(w), int(h));
}

// The reason an image fails a step where step_size gave nullopt: "<step>: this WxH image
// would become AxB<when>, over N pixels".
inline std::string step_size_refusal(std::string_view step, cv::Size source, double width, double height,
                                     std::string_view when = "") {
  return fmt::format("{}: this {}x{} image would become {:.0f}x{:.0f}{}, over {:.0f} pixels", step, source.width,
                     source.height, std::round(width), std::round(height), when,
                     std::max(kMaxStepPixels, double(source.width) * source.height));
}

// Filters, point operations, mirrors: the output has the input's shape.
class SameShape : public Kernel {
 public:
  ImageShape output_shape(const ImageShape& in) const override { return in; }
};

// gray, edges, thresholds: one channel of the input's size.
class OneChannel : public Kernel {
 public:
  ImageShape output_shape(const ImageShape& in) const override {
    ImageShape out = in;
    out.channels = 1;
    return out;
  }
};

// equalize and clahe on RGB: cv2.merge([f(c) for c in cv2.split(img)]); f(img) for one channel.
template <class F>
void per_channel(const cv::Mat& in, cv::Mat& out, F f) {
  if (in.channels() == 1) {
    f(in, out);
    return;
  }
  cv::Mat planes[3];
  cv::split(in, planes);
  for (cv::Mat& p : planes) {
    cv::Mat done;
    f(p, done);
    p = done;
  }
  cv::merge(planes, 3, out);
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
template <void (*derive)(const cv::Mat& g, cv::Mat& d, int dx, int dy)>
class GradientMagnitude final : public OneChannel {
 public:
  void apply(const cv::Mat& in, cv::Mat& out) const override {
    cv::Mat g, dx, dy;
    gray_of(in, g);
    derive(g, dx, 1, 0);
    derive(g, dy, 0, 1);
    cv::magnitude(dx, dy, dx);
    dx.convertTo(out, CV_8U);
  }

  int halo() const override { return 1; }  // 3x3 derivatives
};

// The declaration of a GradientMagnitude kernel whose `derive` is OpenCV's `op` (Sobel, Scharr).
template <void (*derive)(const cv::Mat& g, cv::Mat& d, int dx, int dy)>
const KernelSpec& gradient_magnitude_kernel(std::string_view name, std::string_view op) {
  static const KernelSpec spec{
      .name = std::string(name),
      .summary = fmt::format("edge strength: magnitude of the 3x3 {} gradient of the grey image, one channel", op),
      .opencv = fmt::format(
          "cv2.convertScaleAbs(cv2.magnitude(cv2.{0}(g, cv2.CV_32F, 1, 0), cv2.{0}(g, cv2.CV_32F, 0, 1)))", op),
      .make = make_kernel<GradientMagnitude<derive>>,
  };
  return spec;
}

}  // namespace imgshard::kernels
