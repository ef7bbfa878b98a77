// equalize: histogram equalisation, each channel on its own histogram.
#include <opencv2/imgproc.hpp>

#include "kernels/input_rules.hpp"
#include "kernels/kernel.hpp"

namespace imgshard::kernels {
namespace {

class Equalize final : public Kernel {
 public:
  ImageShape output_shape(const ImageShape& in) const override {
    require_u8("equalize", in);
    return in;
  }

  // On RGB each of R, G, B is equalised independently (colours shift; add `gray` first for the
  // classic one-channel equalisation).
  void apply(const cv::Mat& in, cv::Mat& out) const override {
    if (in.channels() == 1) {
      cv::equalizeHist(in, out);
      return;
    }
    cv::Mat planes[3];
    cv::split(in, planes);
    for (cv::Mat& p : planes) cv::equalizeHist(p, p);
    cv::merge(planes, 3, out);
  }
  // Not tileable: the histogram is the whole image's.
};

}  // namespace

const KernelSpec& equalize_kernel() {
  static const KernelSpec spec{
      .name = "equalize",
      .summary = "histogram equalisation, per channel on RGB",
      .opencv = "cv2.equalizeHist(g); RGB: cv2.merge([cv2.equalizeHist(c) for c in cv2.split(img)])",
      .args = {},
      .make = [](const ArgValues&) -> std::unique_ptr<Kernel> { return std::make_unique<Equalize>(); },
  };
  return spec;
}

}  // namespace imgshard::kernels
