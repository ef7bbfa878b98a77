// clahe=clip=C:tiles=T: contrast-limited adaptive histogram equalisation, per channel.
#include <opencv2/imgproc.hpp>

#include "kernels/common.hpp"
#include "kernels/kernel.hpp"

namespace imgshard::kernels {
namespace {

class Clahe final : public SameShape {
 public:
  static KernelSpec declaration() {
    return {
        .name = "clahe",
        .summary = "contrast-limited adaptive histogram equalisation, per channel on RGB",
        .opencv = "cv2.createCLAHE(clipLimit=C, tileGridSize=(T, T)).apply(g)",
        .args = {{.name = "clip", .type = ArgType::number, .default_value = "2", .doc = "contrast limit",
                  .min = 0, .max = 1000, .min_exclusive = true},
                 {.name = "tiles", .type = ArgType::integer, .default_value = "8", .doc = "grid of T x T tiles",
                  .min = 1, .max = 64}},
    };
  }

  explicit Clahe(const ArgValues& a) : clip_(a.number("clip")), grid_(a.integer("tiles"), a.integer("tiles")) {}

  // A cv::CLAHE object keeps scratch state, so each call makes its own: apply() stays const and
  // safe from any number of threads. On RGB each channel is equalised on its own, as `equalize`.
  void apply(const cv::Mat& in, cv::Mat& out) const override {
    const cv::Ptr<cv::CLAHE> clahe = cv::createCLAHE(clip_, grid_);
    per_channel(in, out, [&](const cv::Mat& plane, cv::Mat& equalized) { clahe->apply(plane, equalized); });
  }
  // Not tileable: each output pixel interpolates between its grid tiles' histograms.

 private:
  double clip_;
  cv::Size grid_;  // T x T tiles
};

}  // namespace

const KernelSpec& clahe_kernel() { return declared<Clahe>(); }

}  // namespace imgshard::kernels
