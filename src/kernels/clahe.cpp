// clahe=clip=C:tiles=T: contrast-limited adaptive histogram equalisation, per channel.
#include <opencv2/imgproc.hpp>

#include "kernels/input_rules.hpp"
#include "kernels/kernel.hpp"

namespace imgshard::kernels {
namespace {

class Clahe final : public Kernel {
 public:
  explicit Clahe(const ArgValues& a) : clip_(a.number("clip")), tiles_(a.integer("tiles")) {}

  ImageShape output_shape(const ImageShape& in) const override {
    require_u8("clahe", in);
    return in;
  }

  // A cv::CLAHE object keeps scratch state, so each call makes its own: apply() stays const and
  // safe from any number of threads. On RGB each channel is equalised on its own, as `equalize`.
  void apply(const cv::Mat& in, cv::Mat& out) const override {
    const cv::Ptr<cv::CLAHE> clahe = cv::createCLAHE(clip_, cv::Size(tiles_, tiles_));
    if (in.channels() == 1) {
      clahe->apply(in, out);
      return;
    }
    cv::Mat planes[3];
    cv::split(in, planes);
    for (cv::Mat& p : planes) {
      cv::Mat equalized;
      clahe->apply(p, equalized);
      p = equalized;
    }
    cv::merge(planes, 3, out);
  }
  // Not tileable: each output pixel interpolates between its grid tiles' histograms.

 private:
  double clip_;
  int tiles_;
};

}  // namespace

const KernelSpec& clahe_kernel() {
  static const KernelSpec spec{
      .name = "clahe",
      .summary = "contrast-limited adaptive histogram equalisation, per channel on RGB",
      .opencv = "cv2.createCLAHE(clipLimit=C, tileGridSize=(T, T)).apply(g)",
      .args = {{.name = "clip", .type = ArgType::number, .default_value = "2", .doc = "contrast limit", .min = 0,
                .max = 1000, .min_exclusive = true},
               {.name = "tiles", .type = ArgType::integer, .default_value = "8", .doc = "grid of T x T tiles",
                .min = 1, .max = 64}},
      .make = [](const ArgValues& a) -> std::unique_ptr<Kernel> { return std::make_unique<Clahe>(a); },
  };
  return spec;
}

}  // namespace imgshard::kernels
