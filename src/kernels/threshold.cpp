// threshold=T or threshold=otsu: binary threshold of the grey image, 0 or 255.
#include <opencv2/imgproc.hpp>

#include "kernels/common.hpp"
#include "kernels/kernel.hpp"

namespace imgshard::kernels {
namespace {

constexpr int kOtsu = -1;  // the value of the word "otsu" (declared below)

class Threshold final : public OneChannel {
 public:
  static KernelSpec declaration() {
    return {
        .name = "threshold",
        .summary = "255 where the grey level is > T, else 0; one channel",
        .opencv = "cv2.threshold(g, T, 255, cv2.THRESH_BINARY)[1]  # otsu: cv2.THRESH_BINARY + cv2.THRESH_OTSU",
        .args = {{.name = "value", .type = ArgType::integer,
                  .doc = "threshold T, or otsu: chosen per image by Otsu's method", .min = 0, .max = 255,
                  .choices = {{"otsu", kOtsu}}}},
    };
  }

  explicit Threshold(const ArgValues& a) : value_(a.integer("value")) {}

  void apply(const cv::Mat& in, cv::Mat& out) const override {
    cv::Mat g;
    gray_of(in, g);
    if (value_ == kOtsu)
      cv::threshold(g, out, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
    else
      cv::threshold(g, out, value_, 255, cv::THRESH_BINARY);
  }

  // A fixed threshold is per pixel; Otsu's is chosen from the whole image's histogram.
  int halo() const override { return value_ == kOtsu ? -1 : 0; }

 private:
  int value_;  // or kOtsu
};

}  // namespace

const KernelSpec& threshold_kernel() { return declared<Threshold>(); }

}  // namespace imgshard::kernels
