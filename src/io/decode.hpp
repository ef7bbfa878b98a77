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
  bool streamed = false;  // the rows went to a RowSink: `rgb` is not filled
};

// Takes a JPEG's rows as they are decoded, in place of a full-size image: the decoder then
// works through a strip of rows that stays in cache (measured: tests/bench/strip_decode).
// Offered only when the rows come out in their final order (EXIF orientation 1). After a
// failed decode, whatever the sink received is to be thrown away.
class RowSink {
 public:
  static constexpr int kRowPadding = 16;  // readable bytes after each row's last pixel
  virtual ~RowSink() = default;
  // The decoded size (after any DCT scaling) is known: true to take the rows.
  virtual bool begin(cv::Size size) = 0;
  // The next row, top to bottom: width RGB pixels, then kRowPadding readable bytes.
  virtual void row(const std::uint8_t* rgb) = 0;
};

class JpegDecoder;  // io/jpeg_decoder.hpp

// One decoder per thread: it keeps its libjpeg state and buffers between images.
class Decoder {
 public:
  Decoder();
  ~Decoder();
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // On failure returns the status and sets `error` to a one-line reason; `out` is then unspecified.
  // With a `sink`, a JPEG's rows may go to it instead of into out.rgb (out.streamed).
  ImageStatus decode(std::span<const std::uint8_t> bytes, const DecodeOptions& options,
                     const ShrinkLimit* shrink, DecodedImage& out, std::string& error, RowSink* sink = nullptr);

 private:
  std::unique_ptr<JpegDecoder> jpeg_;
};

// What a file's first bytes (its header) already tell against decoding it: the size its
// header declares over --max-pixels gives too_large, with the reason in `error`. ok when the
// header says nothing against it, or lies beyond `prefix`.
ImageStatus check_header(std::span<const std::uint8_t> prefix, const DecodeOptions& options, std::string& error);

// EXIF orientation (1..8) applied as cv::imread does.
void apply_exif_orientation(int orientation, cv::Mat& image);

}  // namespace imgshard::io
