// box=K: mean over a K x K window.
#include <opencv2/imgproc.hpp>

#include "kernels/common.hpp"
#include "kernels/kernel.hpp"

namespace imgshard::kernels {
namespace {

class Box final : public SameShape {
 public:
  static KernelSpec declaration() {
    return {
        .name = "box",
        .summary = "box blur: mean of a K x K window",
        .opencv = "cv2.blur(img, (K, K))",
        .input = Input::u8_or_f32,
        .args = {{.name = "ksize", .type = ArgType::integer, .doc = "window size (px)", .min = 1, .max = 255}},
    };
  }

  explicit Box(const ArgValues& a) : ksize_(a.integer("ksize")) {}

  void apply(const cv::Mat& in, cv::Mat& out) const override { cv::blur(in, out, cv::Size(ksize_, ksize_)); }

  // An even K puts the anchor at K/2: K/2 rows above, K/2 - 1 below; K/2 covers both.
  int halo() const override { return ksize_ / 2; }

 private:
  int ksize_;
};

}  // namespace

const KernelSpec& box_kernel() { return declared<Box>(); }

}  // namespace imgshard::kernels
