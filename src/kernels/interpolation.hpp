#pragma once
// The interpolation argument shared by the resizing kernels (resize, shorter), declared once.
#include <functional>
#include <memory>
#include <string>

#include <opencv2/imgproc.hpp>

#include "kernels/area_resample.hpp"
#include "kernels/kernel.hpp"

namespace imgshard::kernels {

// Read as the cv::InterpolationFlags value: a.choice<int>("interp").
inline ArgSpec interpolation_arg() {
  return {.name = "interp",
          .type = ArgType::choice,
          .default_value = "area",
          .doc = "interpolation: cv2.INTER_AREA, _LINEAR, _CUBIC, _NEAREST, _LANCZOS4",
          .choices = {{"area", cv::INTER_AREA},
                      {"linear", cv::INTER_LINEAR},
                      {"cubic", cv::INTER_CUBIC},
                      {"nearest", cv::INTER_NEAREST},
                      {"lanczos", cv::INTER_LANCZOS4}}};
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

// A resampling step fed row by row: our resampler writing into `out` itself, or into a Mat
// of the stream's own (`own`: empty, or a region of `out`), then `complete` after the last
// row (e.g. the crop). nullptr where resample() would not use our resampler.
class ResampleStream final : public RowStream {
 public:
  using Complete = std::function<void(const cv::Mat& resampled)>;
  static std::unique_ptr<RowStream> into(cv::Mat& out, cv::Size source, int type, cv::Size size, int flag) {
    if (flag != cv::INTER_AREA || !area_resampler_handles(source, size, type)) return nullptr;
    return std::unique_ptr<RowStream>(new ResampleStream(&out, {}, source, type, size, {}));
  }
  static std::unique_ptr<RowStream> into_own(cv::Mat own, cv::Size source, int type, cv::Size size, int flag,
                                             Complete complete = {}) {
    if (flag != cv::INTER_AREA || !area_resampler_handles(source, size, type)) return nullptr;
    return std::unique_ptr<RowStream>(new ResampleStream(nullptr, std::move(own), source, type, size, std::move(complete)));
  }
  void push(const void* row) override { resampler_.push(row); }
  void finish() override {
    if (!resampler_.done()) throw KernelError("resize: the image ended before its last row");
    if (complete_) complete_(*target_);
  }

 private:
  ResampleStream(cv::Mat* out, cv::Mat own, cv::Size source, int type, cv::Size size, Complete complete)
      : own_(std::move(own)),
        target_(out ? out : &own_),
        resampler_(source, size, type, *target_),
        complete_(std::move(complete)) {}
  cv::Mat own_;
  cv::Mat* target_;  // `out` or &own_; the resampler writes through it
  AreaResampler resampler_;
  Complete complete_;
};

}  // namespace imgshard::kernels
