#pragma once
// Encoded bytes -> RGB pixels, with cv::imread(IMREAD_COLOR) semantics (EXIF orientation
// applied, 16-bit scaled to 8, alpha dropped, grey replicated), then RGB channel order.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include <opencv2/core.hpp>

#include "io/image_status.hpp"

namespace imgshard::io {

inline constexpr std::uint64_t kDefaultMaxPixels = 178'956'970;  // Pillow's error limit
inline constexpr std::uint64_t kDefaultMaxFileBytes = 1ull << 30;

struct DecodeOptions {
  std::uint64_t max_pixels = kDefaultMaxPixels;
  std::uint64_t max_file_bytes = kDefaultMaxFileBytes;  // larger files are never read
  FailOn fail_on = FailOn::warning;
  bool shrink_on_load = false;  // --decode fast: JPEG at a reduced DCT scale
};

// Given the oriented source size, the smallest size the pipeline can take instead of it
// without changing its output size (see Kernel::min_source_size).
using ShrinkLimit = std::function<cv::Size(cv::Size)>;

struct DecodedImage {
  cv::Mat rgb;  // CV_8UC3, RGB; reused between images to spare allocations
  int height = 0, width = 0, channels = 0;  // of the source as stored (after EXIF orientation)
};

// One decoder per thread: it keeps its libjpeg state and buffers between images.
class Decoder {
 public:
  Decoder();
  ~Decoder();
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // On failure returns the status and sets `error` to a one-line reason; `out` is then unspecified.
  ImageStatus decode(std::span<const std::uint8_t> bytes, const DecodeOptions& options,
                     const ShrinkLimit* shrink, DecodedImage& out, std::string& error);

 private:
  struct Jpeg;
  std::unique_ptr<Jpeg> jpeg_;
};

// What a file's first bytes (its header) already tell against decoding it: the size its
// header declares over --max-pixels gives too_large, with the reason in `error`. ok when the
// header says nothing against it, or lies beyond `prefix`.
ImageStatus check_header(std::span<const std::uint8_t> prefix, const DecodeOptions& options, std::string& error);

// EXIF orientation (1..8) applied as cv::imread does.
void apply_exif_orientation(int orientation, cv::Mat& image);

}  // namespace imgshard::io
