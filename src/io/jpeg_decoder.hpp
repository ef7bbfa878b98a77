#pragma once
// JPEG through libjpeg(-turbo)'s libjpeg API straight to RGB, with an error manager of our
// own (errors and warnings caught and classified per decoder), EXIF orientation and CMYK as
// cv::imread does them, and rows handed to a RowSink where the caller takes them.
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "io/decode.hpp"

namespace imgshard::io {

// One per thread (Decoder holds it): it keeps its libjpeg state and buffers between images.
class JpegDecoder {
 public:
  JpegDecoder();
  ~JpegDecoder();

  // As Decoder::decode, for bytes sniffed as JPEG.
  ImageStatus decode(std::span<const std::uint8_t> bytes, const DecodeOptions& options, const ShrinkLimit* shrink,
                     DecodedImage& out, std::string& error, RowSink* sink);
  // After an exception out of decode() (out of memory): ready for the next image.
  void abort();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace imgshard::io
