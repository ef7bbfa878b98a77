// crop=W:H (centred) or crop=x:y:W:H (top-left corner at x, y).
#include <fmt/format.h>

#include "kernels/common.hpp"
#include "kernels/kernel.hpp"

namespace imgshard::kernels {
namespace {

constexpr int kCenter = -1;  // x or y given as the word center

// x or y: where the window starts, or center.
ArgSpec corner_arg(std::string name, std::string doc) {
  return {.name = std::move(name),
          .type = ArgType::integer,
          .default_value = "center",
          .doc = std::move(doc),
          .min = 0,
          .max = kMaxSide,
          .choices = {{"center", kCenter}}};
}

class Crop final : public Kernel {
 public:
  static KernelSpec declaration() {
    return {
        .name = "crop",
        .summary = "cut a W x H window: crop=W:H centred, crop=x:y:W:H at (x, y)",
        .opencv = "img[y:y+H, x:x+W], centred: x = (w-W)//2, y = (h-H)//2",
        .input = Input::u8_or_f32,
        .args = {pixels_arg("width", "window width (px)"), pixels_arg("height", "window height (px)"),
                 corner_arg("x", "left column of the window, or center: (w-W)//2"),
                 corner_arg("y", "top row of the window, or center: (h-H)//2")},
        // crop=W:H reads in declaration order; crop=x:y:W:H, the order of ffmpeg's crop, by this form.
        .positional_forms = {{"x", "y", "width", "height"}},
    };
  }

  explicit Crop(const ArgValues& a)
      : size_(a.integer("width"), a.integer("height")),
        x_(a.integer("x")),
        y_(a.integer("y")),
        at_(fmt::format("({}, {})", a.text("x"), a.text("y"))) {}

  // The rectangle taken from an image of size `src`; throws when it does not fit.
  cv::Rect region(cv::Size src) const {
    const cv::Rect r(x_ == kCenter ? (src.width - size_.width) / 2 : x_,
                     y_ == kCenter ? (src.height - size_.height) / 2 : y_, size_.width, size_.height);
    if (r.x < 0 || r.y < 0 || r.x + r.width > src.width || r.y + r.height > src.height)
      throw KernelError(fmt::format("crop: {}x{} at {} does not fit in a {}x{} image", r.width, r.height, at_,
                                    src.width, src.height));
    return r;
  }

  ImageShape output_shape(const ImageShape& in) const override {
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
  std::string at_;  // "(x, y)" as given, for the message
};

}  // namespace

const KernelSpec& crop_kernel() { return declared<Crop>(); }

}  // namespace imgshard::kernels
