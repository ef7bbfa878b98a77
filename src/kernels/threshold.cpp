// threshold=T or threshold=otsu: binary threshold of the grey image, 0 or 255.
#include <opencv2/imgproc.hpp>

#include "kernels/input_rules.hpp"
#include "kernels/kernel.hpp"

namespace imgshard::kernels {
namespace {

class Threshold final : public Kernel {
 public:
  explicit Threshold(const ArgValues& a)
      : otsu_(a.text("value") == "otsu"), value_(otsu_ ? 0 : a.integer("value")) {}

  ImageShape output_shape(const ImageShape& in) const override { return one_channel_u8("threshold", in); }

  void apply(const cv::Mat& in, cv::Mat& out) const override {
    cv::Mat g;
    gray_of(in, g);
    cv::threshold(g, out, value_, 255, otsu_ ? cv::THRESH_BINARY | cv::THRESH_OTSU : cv::THRESH_BINARY);
  }

  // A fixed threshold is per pixel; Otsu's is chosen from the whole image's histogram.
  int halo() const override { return otsu_ ? -1 : 0; }

 private:
  bool otsu_;
  int value_;
};

}  // namespace

const KernelSpec& threshold_kernel() {
  static const KernelSpec spec{
      .name = "threshold",
      .summary = "255 where the grey level is > T, else 0; one channel",
      .opencv = "cv2.threshold(g, T, 255, cv2.THRESH_BINARY)[1]  # otsu: cv2.THRESH_BINARY + cv2.THRESH_OTSU",
      .args = {{.name = "value",
                .type = ArgType::integer,
                .doc = "threshold T, or otsu: chosen per image by Otsu's method",
                .min = 0,
                .max = 255,
                .choices = {"otsu"}}},
      .make = [](const ArgValues& a) -> std::unique_ptr<Kernel> { return std::make_unique<Threshold>(a); },
  };
  return spec;
}

}  // namespace imgshard::kernels
