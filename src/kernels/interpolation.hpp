#pragma once
// The interpolation argument shared by the resizing kernels (resize, shorter), declared once.
#include <string>

#include <opencv2/imgproc.hpp>

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

}  // namespace imgshard::kernels
