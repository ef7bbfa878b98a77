// layout=chw: the stored tensor becomes [N, C, H, W]; must be the last step.
#include <cstring>

#include <opencv2/core.hpp>

#include "kernels/input_rules.hpp"
#include "kernels/kernel.hpp"

namespace imgshard::kernels {
namespace {

// Interleaved H x W x C to C planes of H x W, one after the other.
template <typename T>
void to_planes(const cv::Mat& in, cv::Mat& out) {
  const int channels = in.channels(), plane = in.rows * in.cols;
  T* dst = out.ptr<T>();
  for (int y = 0; y < in.rows; ++y) {
    const T* src = in.ptr<T>(y);
    T* row = dst + std::size_t(y) * in.cols;
    if (channels == 3) {
      for (int x = 0; x < in.cols; ++x) {
        row[x] = src[3 * x];
        row[plane + x] = src[3 * x + 1];
        row[2 * plane + x] = src[3 * x + 2];
      }
    } else {
      for (int c = 0; c < channels; ++c)
        for (int x = 0; x < in.cols; ++x) row[std::size_t(c) * plane + x] = src[channels * x + c];
    }
  }
}

class LayoutStep final : public Kernel {
 public:
  explicit LayoutStep(const ArgValues& a) : chw_(a.text("order") == "chw") {}

  // After chw every other kernel refuses (require_hwc): the planes are not an image any more.
  ImageShape output_shape(const ImageShape& in) const override {
    require_hwc("layout", in);
    ImageShape out = in;
    if (chw_) out.layout = Layout::chw;
    return out;
  }

  // chw: a (C*H) x W one-channel Mat, plane c in rows [c*H, (c+1)*H). hwc: unchanged.
  void apply(const cv::Mat& in, cv::Mat& out) const override {
    if (!chw_ || in.channels() == 1) {
      in.copyTo(out);
      return;
    }
    out.create(in.rows * in.channels(), in.cols, CV_MAKETYPE(in.depth(), 1));
    if (in.depth() == CV_32F)
      to_planes<float>(in, out);
    else
      to_planes<std::uint8_t>(in, out);
  }

 private:
  bool chw_;
};

}  // namespace

const KernelSpec& layout_kernel() {
  static const KernelSpec spec{
      .name = "layout",
      .summary = "store [N, C, H, W] (chw) instead of [N, H, W, C]; the last step",
      .opencv = "img.transpose(2, 0, 1)",
      .args = {{.name = "order", .type = ArgType::choice, .doc = "chw: channel planes; hwc: interleaved (default layout)",
                .choices = {"chw", "hwc"}}},
      .make = [](const ArgValues& a) -> std::unique_ptr<Kernel> { return std::make_unique<LayoutStep>(a); },
  };
  return spec;
}

}  // namespace imgshard::kernels
