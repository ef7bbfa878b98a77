// crop=W:H (centred) or crop=x:y:W:H (top-left corner at x, y).
#include <fmt/format.h>

#include "kernels/input_rules.hpp"
#include "kernels/kernel.hpp"

namespace imgshard::kernels {
namespace {

constexpr int kCenter = -1;  // x or y given as the word "center"

class Crop final : public Kernel {
 public:
  explicit Crop(const ArgValues& a)
      : size_(a.integer("width"), a.integer("height")),
        x_(a.text("x") == "center" ? kCenter : a.integer("x")),
        y_(a.text("y") == "center" ? kCenter : a.integer("y")) {}

  // The rectangle taken from an image of size `src`; throws when it does not fit.
  cv::Rect region(cv::Size src) const {
    const cv::Rect r(x_ == kCenter ? (src.width - size_.width) / 2 : x_,
                     y_ == kCenter ? (src.height - size_.height) / 2 : y_, size_.width, size_.height);
    if (r.x < 0 || r.y < 0 || r.x + r.width > src.width || r.y + r.height > src.height)
      throw KernelError(fmt::format("crop: {}x{} at ({}, {}) does not fit in a {}x{} image", r.width, r.height,
                                    x_ == kCenter ? "center" : std::to_string(x_),
                                    y_ == kCenter ? "center" : std::to_string(y_), src.width, src.height));
    return r;
  }

  ImageShape output_shape(const ImageShape& in) const override {
    require_hwc("crop", in);
    if (in.fixed()) region({in.width, in.height});  // refuse a crop that can never fit, before any work
    ImageShape out = in;
    out.width = size_.width;
    out.height = size_.height;
    return out;
  }

  void apply(const cv::Mat& in, cv::Mat& out) const override { in(region(in.size())).copyTo(out); }

 private:
  cv::Size size_;
  int x_, y_;
};

}  // namespace

const KernelSpec& crop_kernel() {
  static const KernelSpec spec{
      .name = "crop",
      .summary = "cut a W x H window: crop=W:H centred, crop=x:y:W:H at (x, y)",
      .opencv = "img[y:y+H, x:x+W], centred: x = (w-W)//2, y = (h-H)//2",
      .args = {{.name = "width", .type = ArgType::integer, .doc = "window width (px)", .min = 1, .max = 65535},
               {.name = "height", .type = ArgType::integer, .doc = "window height (px)", .min = 1, .max = 65535},
               {.name = "x",
                .type = ArgType::integer,
                .default_value = "center",
                .doc = "left column of the window, or center: (w-W)//2",
                .min = 0,
                .max = 65535,
                .choices = {"center"}},
               {.name = "y",
                .type = ArgType::integer,
                .default_value = "center",
                .doc = "top row of the window, or center: (h-H)//2",
                .min = 0,
                .max = 65535,
                .choices = {"center"}}},
      // crop=W:H reads in declaration order; crop=x:y:W:H, the order of ffmpeg's crop, by this form.
      .positional_forms = {{"x", "y", "width", "height"}},
      .make = [](const ArgValues& a) -> std::unique_ptr<Kernel> { return std::make_unique<Crop>(a); },
  };
  return spec;
}

}  // namespace imgshard::kernels
