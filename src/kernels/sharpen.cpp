// sharpen=amount=A:sigma=S: unsharp mask, img + A * (img - GaussianBlur(img, sigma S)).
#include <opencv2/imgproc.hpp>

#include "kernels/common.hpp"
#include "kernels/kernel.hpp"

namespace imgshard::kernels {
namespace {

class Sharpen final : public SameShape {
 public:
  static KernelSpec declaration() {
    return {
        .name = "sharpen",
        .summary = "unsharp mask: add A times the detail finer than sigma",
        .opencv = "cv2.addWeighted(img, 1 + A, cv2.GaussianBlur(img, (0, 0), S), -A, 0)",
        .input = Input::u8_or_f32,
        .args = {{.name = "amount", .type = ArgType::number, .default_value = "1", .doc = "strength A", .min = 0,
                  .max = 100},
                 {.name = "sigma", .type = ArgType::number, .default_value = "1",
                  .doc = "blur sigma S (px): the scale of the detail", .min = 0, .max = 100, .min_exclusive = true}},
    };
  }

  explicit Sharpen(const ArgValues& a) : amount_(a.number("amount")), sigma_(a.number("sigma")) {}

  void apply(const cv::Mat& in, cv::Mat& out) const override {
    cv::Mat blurred;
    cv::GaussianBlur(in, blurred, cv::Size(0, 0), sigma_);
    cv::addWeighted(in, 1 + amount_, blurred, -amount_, 0, out);
  }

  int halo() const override { return gaussian_halo(sigma_, 0); }

 private:
  double amount_, sigma_;
};

}  // namespace

const KernelSpec& sharpen_kernel() { return declared<Sharpen>(); }

}  // namespace imgshard::kernels
