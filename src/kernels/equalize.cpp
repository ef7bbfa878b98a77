// equalize: histogram equalisation, each channel on its own histogram.
#include <opencv2/imgproc.hpp>

#include "kernels/common.hpp"
#include "kernels/kernel.hpp"

namespace imgshard::kernels {
namespace {

class Equalize final : public SameShape {
 public:
  static KernelSpec declaration() {
    return {
        .name = "equalize",
        .summary = "histogram equalisation, per channel on RGB",
        .opencv = "cv2.equalizeHist(g); RGB: cv2.merge([cv2.equalizeHist(c) for c in cv2.split(img)])",
    };
  }

  // On RGB each of R, G, B is equalised independently (colours shift; add `gray` first for the
  // classic one-channel equalisation).
  void apply(const cv::Mat& in, cv::Mat& out) const override { per_channel(in, out, cv::equalizeHist); }
  // Not tileable: the histogram is the whole image's.
};

}  // namespace

const KernelSpec& equalize_kernel() { return declared<Equalize>(); }

}  // namespace imgshard::kernels
