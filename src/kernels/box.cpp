// box=K: mean over a K x K window.
#include <opencv2/imgproc.hpp>

#include "kernels/input_rules.hpp"
#include "kernels/kernel.hpp"

namespace imgshard::kernels {
namespace {

class Box final : public Kernel {
 public:
  explicit Box(const ArgValues& a) : ksize_(a.integer("ksize")) {}

  ImageShape output_shape(const ImageShape& in) const override {
    require_hwc("box", in);
    return in;
  }

  void apply(const cv::Mat& in, cv::Mat& out) const override { cv::blur(in, out, cv::Size(ksize_, ksize_)); }

  // An even K puts the anchor at K/2: K/2 rows above, K/2 - 1 below; K/2 covers both.
  int halo() const override { return ksize_ / 2; }

 private:
  int ksize_;
};

}  // namespace

const KernelSpec& box_kernel() {
  static const KernelSpec spec{
      .name = "box",
      .summary = "box blur: mean of a K x K window",
      .opencv = "cv2.blur(img, (K, K))",
      .args = {{.name = "ksize", .type = ArgType::integer, .doc = "window size (px)", .min = 1, .max = 255}},
      .make = [](const ArgValues& a) -> std::unique_ptr<Kernel> { return std::make_unique<Box>(a); },
  };
  return spec;
}

}  // namespace imgshard::kernels
