// gauss=sigma=S[:ksize=K]: Gaussian blur, kernel size K or (K=0) derived from sigma by OpenCV.
#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include "kernels/common.hpp"
#include "kernels/kernel.hpp"

namespace imgshard::kernels {
namespace {

class Gauss final : public SameShape {
 public:
  static KernelSpec declaration() {
    return {
        .name = "gauss",
        .summary = "Gaussian blur",
        .opencv = "cv2.GaussianBlur(img, (K, K), S)  # K=0: size from sigma",
        .input = Input::u8_or_f32,
        .args = {{.name = "sigma", .type = ArgType::number, .doc = "standard deviation (px)", .min = 0, .max = 100,
                  .min_exclusive = true},
                 {.name = "ksize", .type = ArgType::integer, .default_value = "0",
                  .doc = "odd kernel size, 0: from sigma (6 sigma + 1 for uint8)", .min = 0, .max = 255}},
    };
  }

  explicit Gauss(const ArgValues& a) : sigma_(a.number("sigma")), ksize_(a.integer("ksize")) {
    if (ksize_ != 0 && ksize_ % 2 == 0)
      throw KernelError(fmt::format("gauss: ksize must be odd or 0, got '{}'", ksize_));
  }

  void apply(const cv::Mat& in, cv::Mat& out) const override {
    cv::GaussianBlur(in, out, cv::Size(ksize_, ksize_), sigma_);
  }

  int halo() const override { return gaussian_halo(sigma_, ksize_); }

 private:
  double sigma_;
  int ksize_;
};

}  // namespace

const KernelSpec& gauss_kernel() { return declared<Gauss>(); }

}  // namespace imgshard::kernels
