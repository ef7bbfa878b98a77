// resize=W:H[:mode=stretch|crop|pad][:interp=area|linear|cubic|nearest|lanczos][:fill=V]
#include <algorithm>
#include <cmath>
#include <optional>

#include <opencv2/imgproc.hpp>

#include "kernels/common.hpp"
#include "kernels/interpolation.hpp"
#include "kernels/kernel.hpp"

namespace imgshard::kernels {
namespace {

enum class Mode { stretch, crop, pad };

class Resize final : public Kernel {
 public:
  static KernelSpec declaration() {
    return {
        .name = "resize",
        .summary = "scale to W x H: stretch, or keep aspect and centre-crop or pad",
        .opencv = "cv2.resize(img, (W, H), interpolation=cv2.INTER_AREA)",
        .input = Input::u8_or_f32,
        .args = {pixels_arg("width", "output width (px)"),
                 pixels_arg("height", "output height (px)"),
                 {.name = "mode",
                  .type = ArgType::choice,
                  .default_value = "stretch",
                  .doc = "stretch; crop: scale by max(W/w,H/h) then centre-crop; pad: scale by min(W/w,H/h) then "
                         "centre on a fill canvas",
                  .choices = {{"stretch", Mode::stretch}, {"crop", Mode::crop}, {"pad", Mode::pad}}},
                 interpolation_arg(),
                 {.name = "fill", .type = ArgType::integer, .default_value = "0", .doc = "pad colour", .min = 0,
                  .max = 255}},
    };
  }

  explicit Resize(const ArgValues& a)
      : size_(a.integer("width"), a.integer("height")),
        mode_(a.choice<Mode>("mode")),
        interp_(a.choice<int>("interp")),
        fill_(a.integer("fill")) {}

  ImageShape output_shape(const ImageShape& in) const override {
    ImageShape out = in;
    out.width = size_.width;
    out.height = size_.height;
    return out;
  }

  // The size the source is resampled to, before the crop or within the pad; nullopt where
  // that is no image to make (step_size: only mode=crop of a long, thin source grows so).
  std::optional<cv::Size> scaled_size(cv::Size src) const {
    if (mode_ == Mode::stretch) return size_;
    const double sx = double(size_.width) / src.width, sy = double(size_.height) / src.height;
    const double s = mode_ == Mode::crop ? std::max(sx, sy) : std::min(sx, sy);
    const auto scaled = step_size(src.width * s, src.height * s, src);
    if (!scaled) return std::nullopt;
    if (mode_ == Mode::crop) return cv::Size(std::max(scaled->width, size_.width), std::max(scaled->height, size_.height));
    return cv::Size(std::clamp(scaled->width, 1, size_.width), std::clamp(scaled->height, 1, size_.height));
  }

  cv::Size checked_scaled_size(cv::Size src) const {
    if (const auto scaled = scaled_size(src)) return *scaled;
    const double s = std::max(double(size_.width) / src.width, double(size_.height) / src.height);
    throw KernelError(step_size_refusal("resize mode=crop", src, src.width * s, src.height * s, " before the crop"));
  }

  void apply(const cv::Mat& in, cv::Mat& out) const override {
    const cv::Size scaled = checked_scaled_size(in.size());
    switch (mode_) {
      case Mode::stretch:
        resample(in, out, size_, interp_);
        return;
      case Mode::crop: {
        cv::Mat full;
        resample(in, full, scaled, interp_);
        const cv::Rect roi((scaled.width - size_.width) / 2, (scaled.height - size_.height) / 2, size_.width,
                           size_.height);
        full(roi).copyTo(out);
        return;
      }
      case Mode::pad: {
        out.create(size_, in.type());
        out.setTo(cv::Scalar::all(fill_));
        const cv::Rect roi((size_.width - scaled.width) / 2, (size_.height - scaled.height) / 2, scaled.width,
                           scaled.height);
        cv::Mat target = out(roi);
        resample(in, target, scaled, interp_);
        return;
      }
    }
  }

  cv::Size min_source_size(cv::Size source) const override { return scaled_size(source).value_or(source); }

  // The same three modes, the resampler fed row by row.
  std::unique_ptr<RowStream> stream(cv::Size source, int type, cv::Mat& out) const override {
    const auto scaled_or_none = scaled_size(source);
    if (!scaled_or_none) return nullptr;  // decoded whole, so that apply() fails the image with the reason
    const cv::Size scaled = *scaled_or_none;
    switch (mode_) {
      case Mode::stretch:
        return ResampleStream::into(out, source, type, size_, interp_);
      case Mode::crop:
        return ResampleStream::into_own({}, source, type, scaled, interp_, [this, &out](const cv::Mat& full) {
          const cv::Rect roi((full.cols - size_.width) / 2, (full.rows - size_.height) / 2, size_.width,
                             size_.height);
          full(roi).copyTo(out);
        });
      case Mode::pad: {
        if (!area_resampler_handles(source, scaled, type) || interp_ != cv::INTER_AREA) return nullptr;
        out.create(size_, type);
        out.setTo(cv::Scalar::all(fill_));
        const cv::Rect roi((size_.width - scaled.width) / 2, (size_.height - scaled.height) / 2, scaled.width,
                           scaled.height);
        return ResampleStream::into_own(out(roi), source, type, scaled, interp_);
      }
    }
    return nullptr;
  }

 private:
  cv::Size size_;
  Mode mode_;
  int interp_;
  int fill_;
};

}  // namespace

const KernelSpec& resize_kernel() { return declared<Resize>(); }

}  // namespace imgshard::kernels
