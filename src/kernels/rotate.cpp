// rotate=90|180|270: turn clockwise by a right angle.
#include <opencv2/core.hpp>

#include "kernels/common.hpp"
#include "kernels/kernel.hpp"

namespace imgshard::kernels {
namespace {

class Rotate final : public Kernel {
 public:
  static KernelSpec declaration() {
    return {
        .name = "rotate",
        .summary = "turn clockwise by 90, 180 or 270 degrees",
        .opencv = "cv2.rotate(img, cv2.ROTATE_90_CLOCKWISE)  # 180: ROTATE_180, 270: ROTATE_90_COUNTERCLOCKWISE",
        .input = Input::u8_or_f32,
        .args = {{.name = "angle", .type = ArgType::choice, .doc = "clockwise degrees", .choices = {
                      {"90", cv::ROTATE_90_CLOCKWISE},
                      {"180", cv::ROTATE_180},
                      {"270", cv::ROTATE_90_COUNTERCLOCKWISE},
                  }}},
    };
  }

  explicit Rotate(const ArgValues& a) : code_(a.choice<cv::RotateFlags>("angle")) {}

  ImageShape output_shape(const ImageShape& in) const override {
    ImageShape out = in;
    if (code_ != cv::ROTATE_180) std::swap(out.width, out.height);
    return out;
  }

  void apply(const cv::Mat& in, cv::Mat& out) const override { cv::rotate(in, out, code_); }

 private:
  cv::RotateFlags code_;
};

}  // namespace

const KernelSpec& rotate_kernel() { return declared<Rotate>(); }

}  // namespace imgshard::kernels
