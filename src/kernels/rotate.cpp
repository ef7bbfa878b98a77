// rotate=90|180|270: turn clockwise by a right angle.
#include <opencv2/core.hpp>

#include "kernels/input_rules.hpp"
#include "kernels/kernel.hpp"

namespace imgshard::kernels {
namespace {

class Rotate final : public Kernel {
 public:
  explicit Rotate(const ArgValues& a) : degrees_(a.integer("angle")) {}

  ImageShape output_shape(const ImageShape& in) const override {
    require_hwc("rotate", in);
    ImageShape out = in;
    if (degrees_ != 180) std::swap(out.width, out.height);
    return out;
  }

  void apply(const cv::Mat& in, cv::Mat& out) const override {
    cv::rotate(in, out, degrees_ == 90    ? cv::ROTATE_90_CLOCKWISE
                        : degrees_ == 180 ? cv::ROTATE_180
                                          : cv::ROTATE_90_COUNTERCLOCKWISE);
  }

 private:
  int degrees_;
};

}  // namespace

const KernelSpec& rotate_kernel() {
  static const KernelSpec spec{
      .name = "rotate",
      .summary = "turn clockwise by 90, 180 or 270 degrees",
      .opencv = "cv2.rotate(img, cv2.ROTATE_90_CLOCKWISE)  # 180: ROTATE_180, 270: ROTATE_90_COUNTERCLOCKWISE",
      .args = {{.name = "angle",
                .type = ArgType::choice,
                .doc = "clockwise degrees",
                .choices = {"90", "180", "270"}}},
      .make = [](const ArgValues& a) -> std::unique_ptr<Kernel> { return std::make_unique<Rotate>(a); },
  };
  return spec;
}

}  // namespace imgshard::kernels
