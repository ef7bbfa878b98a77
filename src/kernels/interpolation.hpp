#pragma once
// The interpolation argument shared by the resizing kernels (resize, shorter), declared once.
#include <string>

#include <opencv2/imgproc.hpp>

#include "kernels/area_resample.hpp"
#include "kernels/kernel.hpp"

namespace imgshard::kernels {

inline ArgSpec interpolation_arg() {
  return {.name = "interp",
          .type = ArgType::choice,
          .default_value = "area",
          .doc = "interpolation: cv2.INTER_AREA, _LINEAR, _CUBIC, _NEAREST, _LANCZOS4",
          .choices = {"area", "linear", "cubic", "nearest", "lanczos"}};
}

inline int interpolation_flag(const std::string& name) {
  if (name == "linear") return cv::INTER_LINEAR;
  if (name == "cubic") return cv::INTER_CUBIC;
  if (name == "nearest") return cv::INTER_NEAREST;
  if (name == "lanczos") return cv::INTER_LANCZOS4;
  return cv::INTER_AREA;
}

// cv::resize(in, out, size, 0, 0, flag), with INTER_AREA going through our own resampler
// (bit-identical, several times faster where OpenCV's is slow). `out` may be a region of
// a larger Mat of that size and type: it is written in place.
inline void resample(const cv::Mat& in, cv::Mat& out, cv::Size size, int flag) {
  if (flag == cv::INTER_AREA)
    resize_area(in, out, size);
  else
    cv::resize(in, out, size, 0, 0, flag);
}

}  // namespace imgshard::kernels
