// normalize=mean=a/b/c:std=d/e/f: (img / 255 - mean) / std per channel, in float32.
#include <array>

#include <fmt/format.h>
#include <opencv2/core.hpp>

#include "kernels/common.hpp"
#include "kernels/kernel.hpp"

namespace imgshard::kernels {
namespace {

// mean and std: a value per channel (R/G/B), or one for all, each over `min` and at most 1000.
ArgSpec per_channel_arg(std::string name, std::string default_value, double min, bool min_exclusive) {
  return {.name = std::move(name),
          .type = ArgType::numbers,
          .default_value = std::move(default_value),
          .doc = "per channel (R/G/B, or one value)",
          .min = min,
          .max = 1000,
          .min_exclusive = min_exclusive};
}

class Normalize final : public Kernel {
 public:
  static KernelSpec declaration() {
    return {
        .name = "normalize",
        .summary = "float32 (img / 255 - mean) / std per channel (defaults: ImageNet's RGB)",
        .opencv = "((img / 255.0 - mean) / std).astype(np.float32)",
        .args = {per_channel_arg("mean", "0.485/0.456/0.406", -1000, false),
                 per_channel_arg("std", "0.229/0.224/0.225", 0, true)},
    };
  }

  explicit Normalize(const ArgValues& a) : mean_(a.numbers("mean")), std_(a.numbers("std")) {
    // Each value a channel can take, computed in double as NumPy does, then rounded to float once.
    for (std::size_t c = 0; c < 3; ++c) {
      const double m = value(mean_, c), s = value(std_, c);
      for (int i = 0; i < 256; ++i) table_[c][i] = float((i / 255.0 - m) / s);
    }
  }

  ImageShape output_shape(const ImageShape& in) const override {
    for (const auto* list : {&mean_, &std_})
      if (list->size() != 1 && int(list->size()) != in.channels)
        throw KernelError(fmt::format(
            "normalize: {} has {} values but the image has {} channel{}: give {} value{} (or one for all)",
            list == &mean_ ? "mean" : "std", list->size(), in.channels, in.channels == 1 ? "" : "s",
            in.channels, in.channels == 1 ? "" : "s"));
    ImageShape out = in;
    out.type = ElemType::f32;
    return out;
  }

  void apply(const cv::Mat& in, cv::Mat& out) const override {
    const int channels = in.channels();
    out.create(in.size(), CV_MAKETYPE(CV_32F, channels));
    for (int y = 0; y < in.rows; ++y) {
      const std::uint8_t* src = in.ptr<std::uint8_t>(y);
      float* dst = out.ptr<float>(y);
      if (channels == 3) {
        for (int x = 0; x < in.cols; ++x, src += 3, dst += 3) {
          dst[0] = table_[0][src[0]];
          dst[1] = table_[1][src[1]];
          dst[2] = table_[2][src[2]];
        }
      } else {
        for (int x = 0; x < in.cols; ++x) dst[x] = table_[0][src[x]];
      }
    }
  }

  int halo() const override { return 0; }

 private:
  // One value stands for every channel. A list of another length than the channels is
  // refused by output_shape, but the tables are built before that: never read past it.
  static double value(const std::vector<double>& list, std::size_t c) { return c < list.size() ? list[c] : list[0]; }

  std::vector<double> mean_, std_;
  std::array<std::array<float, 256>, 3> table_;
};

}  // namespace

const KernelSpec& normalize_kernel() { return declared<Normalize>(); }

}  // namespace imgshard::kernels
