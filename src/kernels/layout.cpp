// layout=chw: the stored tensor becomes [N, C, H, W]; must be the last step.
#include <vector>

#include <opencv2/core.hpp>

#include "kernels/common.hpp"
#include "kernels/kernel.hpp"

namespace imgshard::kernels {
namespace {

class LayoutStep final : public Kernel {
 public:
  static KernelSpec declaration() {
    return {
        .name = "layout",
        .summary = "store [N, C, H, W] (chw) instead of [N, H, W, C]; the last step",
        .opencv = "img.transpose(2, 0, 1)",
        .input = Input::u8_or_f32,
        .args = {{.name = "order", .type = ArgType::choice,
                  .doc = "chw: channel planes; hwc: interleaved (the default layout)",
                  .choices = {{"chw", Layout::chw}, {"hwc", Layout::hwc}}}},
    };
  }

  explicit LayoutStep(const ArgValues& a) : layout_(a.choice<Layout>("order")) {}

  // After chw every other kernel refuses (check_input): the planes are not an image any more.
  ImageShape output_shape(const ImageShape& in) const override {
    ImageShape out = in;
    out.layout = layout_;
    return out;
  }

  // chw: a (C*H) x W one-channel Mat, plane c in rows [c*H, (c+1)*H). hwc: unchanged.
  void apply(const cv::Mat& in, cv::Mat& out) const override {
    if (layout_ == Layout::hwc || in.channels() == 1) {
      in.copyTo(out);
      return;
    }
    const int channels = in.channels();
    out.create(in.rows * channels, in.cols, CV_MAKETYPE(in.depth(), 1));
    // cv::split straight into the planes of `out`: headers on its rows, so nothing is copied twice.
    std::vector<cv::Mat> planes;
    for (int c = 0; c < channels; ++c) planes.push_back(out.rowRange(c * in.rows, (c + 1) * in.rows));
    cv::split(in, planes.data());
  }

 private:
  Layout layout_;
};

}  // namespace

const KernelSpec& layout_kernel() { return declared<LayoutStep>(); }

}  // namespace imgshard::kernels
