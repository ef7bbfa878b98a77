// shorter=S[:interp=area|linear|cubic|nearest|lanczos]: keep the aspect, scale the shorter side to S.
#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "kernels/common.hpp"
#include "kernels/interpolation.hpp"
#include "kernels/kernel.hpp"

namespace imgshard::kernels {
namespace {

class Shorter final : public Kernel {
 public:
  static KernelSpec declaration() {
    return {
        .name = "shorter",
        .summary = "keep the aspect, scale the shorter side to S (size varies: follow with crop)",
        .opencv = "cv2.resize(img, (S, int(h*S/w + 0.5)) if w < h else (int(w*S/h + 0.5), S), interpolation=cv2.INTER_AREA)",
        .input = Input::u8_or_f32,
        .args = {pixels_arg("size", "length of the shorter side (px)"), interpolation_arg()},
    };
  }

  explicit Shorter(const ArgValues& a) : side_(a.integer("size")), interp_(a.choice<int>("interp")) {}

  // The shorter side becomes S, the longer one round(long * S / short) (halves away from 0),
  // at least 1; a square stays square. Throws KernelError where that is no image to make
  // (step_size): a long, thin source given a large S.
  cv::Size target(cv::Size src) const {
    const bool tall = src.width < src.height;
    const double longer = double(tall ? src.height : src.width) * side_ / (tall ? src.width : src.height);
    const auto size = tall ? step_size(side_, longer, src) : step_size(longer, side_, src);
    if (!size)
      throw KernelError(step_size_refusal(fmt::format("shorter={}", side_), src, tall ? side_ : longer,
                                          tall ? longer : side_));
    return {std::max(1, size->width), std::max(1, size->height)};
  }

  ImageShape output_shape(const ImageShape& in) const override {
    ImageShape out = in;
    if (in.fixed()) {
      const cv::Size s = target({in.width, in.height});
      out.width = s.width;
      out.height = s.height;
    } else {
      out.width = out.height = 0;  // varies with the aspect: a crop must follow
    }
    return out;
  }

  void apply(const cv::Mat& in, cv::Mat& out) const override { resample(in, out, target(in.size()), interp_); }

  std::unique_ptr<RowStream> stream(cv::Size source, int type, cv::Mat& out) const override {
    try {
      return ResampleStream::into(out, source, type, target(source), interp_);
    } catch (const KernelError&) {
      return nullptr;  // decoded whole, so that apply() fails the image with the reason
    }
  }

 private:
  int side_, interp_;
};

}  // namespace

const KernelSpec& shorter_kernel() { return declared<Shorter>(); }

}  // namespace imgshard::kernels
