#include "io/decode.hpp"

#include <exception>
#include <optional>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include "io/formats.hpp"
#include "io/jpeg_decoder.hpp"
#include "io/opencv_codecs.hpp"

namespace imgshard::io {

void apply_exif_orientation(int orientation, cv::Mat& image) {
  // The same cases as OpenCV's ApplyExifOrientation (modules/imgcodecs/src/loadsave.cpp).
  switch (orientation) {
    case 2: cv::flip(image, image, 1); break;
    case 3: cv::flip(image, image, -1); break;
    case 4: cv::flip(image, image, 0); break;
    case 5: cv::transpose(image, image); break;
    case 6: cv::transpose(image, image); cv::flip(image, image, 1); break;
    case 7: cv::transpose(image, image); cv::flip(image, image, -1); break;
    case 8: cv::transpose(image, image); cv::flip(image, image, 0); break;
    default: break;
  }
}

namespace {

// The size a format's header declares, where its declaration reads one.
std::optional<DeclaredSize> declared_size(const ImageFormat* format, std::span<const std::uint8_t> bytes) {
  if (!format || !format->size) return std::nullopt;
  return format->size(bytes);
}

// Every format but JPEG: header size check, container check, then cv::imdecode.
ImageStatus decode_other(const ImageFormat* format, std::span<const std::uint8_t> bytes,
                         const DecodeOptions& options, DecodedImage& out, std::string& error) {
  if (!format || !format->decoded) {
    error = format ? fmt::format("{} is not supported", format->name)
                   : "not an image: content is not " + decoded_formats_text();
    return ImageStatus::unknown_format;
  }
  const std::string_view name = format->name;
  const auto declared = declared_size(format, bytes);
  // The size first, from the header alone: a bomb is refused before a byte is decoded.
  if (declared && size_over_limit(name, *declared, options.max_pixels, error)) return ImageStatus::too_large;
  using Verdict = ContainerCheck::Verdict;
  const ContainerCheck check = format->check ? format->check(bytes) : ContainerCheck{};
  const auto fail = [&](ImageStatus status, std::string_view what, std::string_view reason) {
    error = fmt::format("{} {}: {}", what, name, reason);
    return status;
  };
  if (check.verdict == Verdict::truncated && (!declared || options.fail_on != FailOn::error))
    return fail(ImageStatus::truncated, "truncated", check.reason);
  if (!declared) return fail(ImageStatus::corrupt, "corrupt", "header unreadable");
  if (check.verdict == Verdict::corrupt) return fail(ImageStatus::corrupt, "corrupt", check.reason);
  if (check.verdict == Verdict::damaged && options.fail_on == FailOn::warning)
    return fail(ImageStatus::decoder_warning, "damaged", check.reason);

  cv::Mat bgr;
  try {
    const cv::Mat encoded(1, int(bytes.size()), CV_8UC1, const_cast<std::uint8_t*>(bytes.data()));
    bgr = imdecode_color(encoded);
  } catch (const cv::Exception& e) {
    return fail(ImageStatus::corrupt, "corrupt", e.err);
  }
  if (bgr.empty()) {
    // --fail-on error tried a truncated file anyway; it did not decode.
    if (check.verdict == Verdict::truncated) return fail(ImageStatus::truncated, "truncated", check.reason);
    return fail(ImageStatus::corrupt, "corrupt", "the decoder could not read its pixels");
  }
  cv::cvtColor(bgr, out.rgb, cv::COLOR_BGR2RGB);
  out.height = out.rgb.rows;
  out.width = out.rgb.cols;
  out.channels = declared->channels;
  return ImageStatus::ok;
}

}  // namespace

ImageStatus check_header(std::span<const std::uint8_t> prefix, const DecodeOptions& options, std::string& error) {
  const ImageFormat* format = sniff_format(prefix);
  const auto declared = declared_size(format, prefix);
  if (declared && size_over_limit(format->name, *declared, options.max_pixels, error)) return ImageStatus::too_large;
  return ImageStatus::ok;
}

Decoder::Decoder() : jpeg_(std::make_unique<JpegDecoder>()) {}
Decoder::~Decoder() = default;

ImageStatus Decoder::decode(std::span<const std::uint8_t> bytes, const DecodeOptions& options,
                            const ShrinkLimit* shrink, DecodedImage& out, std::string& error, RowSink* sink) {
  // A failed image has no shape: nothing of the previous image this thread decoded may leak
  // into /orig_shape (it would depend on the schedule).
  out.height = out.width = out.channels = 0;
  out.streamed = false;
  const ImageFormat* format = sniff_format(bytes);
  try {
    if (format == &jpeg_format) return jpeg_->decode(bytes, options, shrink, out, error, sink);
    return decode_other(format, bytes, options, out, error);
  } catch (const std::exception& e) {
    // Out of memory for one image (cv::Mat, libjpeg's buffers) fails that image, not the run.
    if (format == &jpeg_format) jpeg_->abort();
    out.height = out.width = out.channels = 0;
    error = fmt::format("cannot decode {}: {}", format ? format->name : "unknown", e.what());
    return ImageStatus::corrupt;
  }
}

}  // namespace imgshard::io
