// flip=h|v|hv: mirror left-right, top-bottom, or both.
#include <opencv2/core.hpp>

#include "kernels/common.hpp"
#include "kernels/kernel.hpp"

namespace imgshard::kernels {
namespace {

// cv::flip's flipCode.
enum class Axis { left_right = 1, top_bottom = 0, both = -1 };

class Flip final : public SameShape {
 public:
  static KernelSpec declaration() {
    return {
        .name = "flip",
        .summary = "mirror: h left-right, v top-bottom, hv both",
        .opencv = "cv2.flip(img, 1)  # v: 0, hv: -1",
        .input = Input::u8_or_f32,
        .args = {{.name = "axis", .type = ArgType::choice, .default_value = "h",
                  .doc = "h: left-right, v: top-bottom, hv: both (a 180 degree turn)",
                  .choices = {{"h", Axis::left_right}, {"v", Axis::top_bottom}, {"hv", Axis::both}}}},
    };
  }

  explicit Flip(const ArgValues& a) : axis_(a.choice<Axis>("axis")) {}

  void apply(const cv::Mat& in, cv::Mat& out) const override { cv::flip(in, out, int(axis_)); }

  // A left-right mirror keeps every row where it is; the others move rows.
  int halo() const override { return axis_ == Axis::left_right ? 0 : -1; }

 private:
  Axis axis_;
};

}  // namespace

const KernelSpec& flip_kernel() { return declared<Flip>(); }

}  // namespace imgshard::kernels
