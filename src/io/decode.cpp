#include "io/decode.hpp"

#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <cstring>

#include <jpeglib.h>
#include <jerror.h>
#include <libexif/exif-data.h>
#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "io/formats.hpp"

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

std::string too_large_reason(std::string_view format, std::uint64_t w, std::uint64_t h, std::uint64_t limit) {
  return fmt::format("{} declares {}x{} = {} pixels, over --max-pixels {}", format, w, h, w * h, limit);
}

int exif_orientation(const jpeg_decompress_struct& info) {
  for (jpeg_saved_marker_ptr m = info.marker_list; m; m = m->next) {
    if (m->marker != JPEG_APP0 + 1 || m->data_length < 6 || std::memcmp(m->data, "Exif\0\0", 6) != 0) continue;
    ExifData* exif = exif_data_new_from_data(m->data, m->data_length);
    if (!exif) return 1;
    int orientation = 1;
    if (ExifEntry* e = exif_data_get_entry(exif, EXIF_TAG_ORIENTATION); e && e->format == EXIF_FORMAT_SHORT)
      orientation = exif_get_short(e->data, exif_data_get_byte_order(exif));
    exif_data_unref(exif);
    return orientation;
  }
  return 1;
}

// CMYK (as Adobe writes it, inverted) to RGB, exactly as OpenCV's icvCvt_CMYK2BGR_8u_C4C3R.
void cmyk_to_rgb(const std::uint8_t* cmyk, std::uint8_t* rgb, int width) {
  for (int i = 0; i < width; ++i, cmyk += 4, rgb += 3) {
    const int k = cmyk[3];
    rgb[0] = std::uint8_t(k - ((255 - cmyk[0]) * k >> 8));
    rgb[1] = std::uint8_t(k - ((255 - cmyk[1]) * k >> 8));
    rgb[2] = std::uint8_t(k - ((255 - cmyk[2]) * k >> 8));
  }
}

}  // namespace

// libjpeg(-turbo) with an error manager of our own: errors long-jump back, warnings are kept
// per decoder (TurboJPEG's tj* API reports them through one shared buffer) and classified.
struct Decoder::Jpeg {
  struct ErrorManager {
    jpeg_error_mgr base;
    std::jmp_buf jump;
    Jpeg* owner;
  };

  jpeg_decompress_struct info{};
  ErrorManager errors{};
  FailOn fail_on = FailOn::warning;
  bool warned = false;
  bool truncated = false;
  std::string message;  // the first warning, or the error
  std::vector<std::uint8_t> cmyk_row;

  Jpeg() {
    info.err = jpeg_std_error(&errors.base);
    errors.owner = this;
    errors.base.error_exit = [](j_common_ptr c) {
      auto* e = reinterpret_cast<ErrorManager*>(c->err);
      e->owner->record(c);
      std::longjmp(e->jump, 1);
    };
    errors.base.emit_message = [](j_common_ptr c, int level) {
      if (level >= 0) return;  // trace messages
      auto* e = reinterpret_cast<ErrorManager*>(c->err);
      Jpeg& self = *e->owner;
      const bool eof = c->err->msg_code == JWRN_JPEG_EOF;
      if (!self.warned) self.record(c);
      self.warned = true;
      self.truncated = self.truncated || eof;
      if (self.fail_on == FailOn::warning || (self.fail_on == FailOn::truncated && eof)) std::longjmp(e->jump, 1);
    };
    errors.base.output_message = [](j_common_ptr) {};
    jpeg_create_decompress(&info);
  }
  ~Jpeg() { jpeg_destroy_decompress(&info); }

  void record(j_common_ptr c) {
    char text[JMSG_LENGTH_MAX];
    c->err->format_message(c, text);
    message = text;
  }

  ImageStatus decode(std::span<const std::uint8_t> bytes, const DecodeOptions& options, const ShrinkLimit* shrink,
                     DecodedImage& out, std::string& error);
};

ImageStatus Decoder::Jpeg::decode(std::span<const std::uint8_t> bytes, const DecodeOptions& options,
                                  const ShrinkLimit* shrink, DecodedImage& out, std::string& error) {
  fail_on = options.fail_on;
  warned = truncated = false;
  message.clear();
  volatile bool too_large = false;  // set between setjmp and longjmp
  if (setjmp(errors.jump)) {
    jpeg_abort_decompress(&info);
    if (too_large) return ImageStatus::too_large;
    if (truncated) {
      error = "truncated JPEG: " + message;
      return ImageStatus::truncated;
    }
    if (warned) {
      error = "damaged JPEG data: " + message;
      return ImageStatus::decoder_warning;
    }
    error = "corrupt JPEG: " + message;
    return ImageStatus::corrupt;
  }
  jpeg_mem_src(&info, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_save_markers(&info, JPEG_APP0 + 1, 0xffff);
  jpeg_read_header(&info, TRUE);

  const std::uint64_t w = info.image_width, h = info.image_height;
  if (w * h > options.max_pixels) {
    error = too_large_reason("JPEG", w, h, options.max_pixels);
    too_large = true;
    std::longjmp(errors.jump, 1);
  }
  const int orientation = exif_orientation(info);
  const bool swapped = orientation >= 5 && orientation <= 8;
  out.width = int(swapped ? h : w);
  out.height = int(swapped ? w : h);
  out.channels = info.num_components;

  const bool cmyk = info.num_components == 4;
  info.out_color_space = cmyk ? JCS_CMYK : JCS_EXT_RGB;
  info.scale_num = info.scale_denom = 1;
  if (options.shrink_on_load && shrink) {
    const cv::Size need = (*shrink)(cv::Size(out.width, out.height));
    const std::uint64_t need_w = swapped ? need.height : need.width, need_h = swapped ? need.width : need.height;
    for (unsigned denom : {8u, 4u, 2u}) {
      if ((w + denom - 1) / denom >= need_w && (h + denom - 1) / denom >= need_h) {
        info.scale_denom = denom;
        break;
      }
    }
  }
  jpeg_start_decompress(&info);
  out.rgb.create(int(info.output_height), int(info.output_width), CV_8UC3);
  if (cmyk) cmyk_row.resize(std::size_t(info.output_width) * 4);
  while (info.output_scanline < info.output_height) {
    if (cmyk) {
      JSAMPROW row = cmyk_row.data();
      const int line = int(info.output_scanline);
      jpeg_read_scanlines(&info, &row, 1);
      cmyk_to_rgb(cmyk_row.data(), out.rgb.ptr(line), int(info.output_width));
    } else {
      JSAMPROW rows[4];
      const int line = int(info.output_scanline);
      const int count = std::min<int>(4, int(info.output_height) - line);
      for (int i = 0; i < count; ++i) rows[i] = out.rgb.ptr(line + i);
      jpeg_read_scanlines(&info, rows, count);
    }
  }
  jpeg_finish_decompress(&info);
  apply_exif_orientation(orientation, out.rgb);
  return ImageStatus::ok;
}

Decoder::Decoder() : jpeg_(std::make_unique<Jpeg>()) {}
Decoder::~Decoder() = default;

ImageStatus Decoder::decode(std::span<const std::uint8_t> bytes, const DecodeOptions& options,
                            const ShrinkLimit* shrink, DecodedImage& out, std::string& error) {
  const Format format = sniff_format(bytes);
  if (format == Format::jpeg) return jpeg_->decode(bytes, options, shrink, out, error);
  if (format == Format::unknown || format == Format::gif) {
    error = format == Format::gif ? "GIF is not supported"
                                  : "not an image: content is not JPEG, PNG, WebP, TIFF, BMP or PNM";
    return ImageStatus::unknown_format;
  }
  const std::string_view name = format_name(format);
  const auto declared = declared_size(format, bytes);
  if (!declared) {
    error = fmt::format("corrupt {}: header unreadable", name);
    return ImageStatus::corrupt;
  }
  if (declared->width * declared->height > options.max_pixels) {
    error = too_large_reason(name, declared->width, declared->height, options.max_pixels);
    return ImageStatus::too_large;
  }
  cv::Mat bgr;
  try {
    const cv::Mat encoded(1, int(bytes.size()), CV_8UC1, const_cast<std::uint8_t*>(bytes.data()));
    bgr = cv::imdecode(encoded, cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    error = fmt::format("corrupt {}: {}", name, e.err);
    return ImageStatus::corrupt;
  }
  const bool png_ends = format != Format::png ||
                        (bytes.size() >= 12 && std::memcmp(bytes.data() + bytes.size() - 8, "IEND", 4) == 0);
  if (bgr.empty()) {
    error = fmt::format("{} {}: the decoder could not read its pixels", png_ends ? "corrupt" : "truncated", name);
    return png_ends ? ImageStatus::corrupt : ImageStatus::truncated;
  }
  if (!png_ends && options.fail_on != FailOn::error) {
    error = "truncated PNG: no IEND chunk at the end of the file";
    return ImageStatus::truncated;
  }
  cv::cvtColor(bgr, out.rgb, cv::COLOR_BGR2RGB);
  out.height = out.rgb.rows;
  out.width = out.rgb.cols;
  out.channels = declared->channels;
  return ImageStatus::ok;
}

}  // namespace imgshard::io
