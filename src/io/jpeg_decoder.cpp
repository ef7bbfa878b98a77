#include "io/jpeg_decoder.hpp"

#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <vector>

#include <jpeglib.h>
#include <jerror.h>
#include <libexif/exif-data.h>
#include <fmt/format.h>

#include "io/formats.hpp"

namespace imgshard::io {
namespace {

// The orientation OpenCV applies: it parses the first APP1 marker only (an XMP packet there
// hides a later Exif one) and reads the tag from IFD0, the main image's directory (IFD1 is
// the thumbnail's).
int exif_orientation(const jpeg_decompress_struct& info) {
  jpeg_saved_marker_ptr m = info.marker_list;
  while (m && m->marker != JPEG_APP0 + 1) m = m->next;
  if (!m || m->data_length < 6 || std::memcmp(m->data, "Exif\0\0", 6) != 0) return 1;
  ExifData* exif = exif_data_new_from_data(m->data, m->data_length);
  if (!exif) return 1;
  int orientation = 1;
  if (ExifEntry* e = exif_content_get_entry(exif->ifd[EXIF_IFD_0], EXIF_TAG_ORIENTATION);
      e && e->format == EXIF_FORMAT_SHORT && e->components >= 1)
    orientation = exif_get_short(e->data, exif_data_get_byte_order(exif));
  exif_data_unref(exif);
  return orientation;
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
// per decoder (TurboJPEG's tj* API reports them through one shared buffer) and classified:
// JWRN_JPEG_EOF (the data ends before the image does: libjpeg pads the rest with grey) is
// truncation, every other warning (corrupt entropy data, extraneous bytes, bad progression,
// lost restart markers...) is recoverable damage. --fail-on decides which of them fail.
struct JpegDecoder::State {
  // libjpeg-turbo's own limit for tjDecompress (TJFLAG_LIMITSCANS): a progressive file may
  // repeat scans, each costing a pass over the whole image; real files have at most ~20.
  static constexpr int kMaxScans = 500;

  struct ErrorManager {
    jpeg_error_mgr base;
    std::jmp_buf jump;
    State* owner;
  };

  jpeg_decompress_struct info{};
  ErrorManager errors{};
  jpeg_progress_mgr progress{};
  FailOn fail_on = FailOn::warning;
  bool warned = false;     // any warning
  bool truncated = false;  // JWRN_JPEG_EOF among them
  bool too_many_scans = false;
  std::string warning;     // the first warning, or the truncation once there is one
  std::string failure;     // the error that stopped libjpeg
  std::vector<std::uint8_t> cmyk_row;
  std::vector<std::uint8_t> strip;  // rows handed to a RowSink

  State() {
    info.err = jpeg_std_error(&errors.base);
    errors.owner = this;
    errors.base.error_exit = [](j_common_ptr c) {
      auto* e = reinterpret_cast<ErrorManager*>(c->err);
      e->owner->failure = e->owner->format(c);
      std::longjmp(e->jump, 1);
    };
    errors.base.emit_message = [](j_common_ptr c, int level) {
      if (level >= 0) return;  // trace messages
      auto* e = reinterpret_cast<ErrorManager*>(c->err);
      State& self = *e->owner;
      const bool eof = c->err->msg_code == JWRN_JPEG_EOF;
      // The reason names the truncation when there is one, else the first warning.
      if (!self.warned || (eof && !self.truncated)) self.warning = self.format(c);
      self.warned = true;
      self.truncated = self.truncated || eof;
      if (self.fail_on == FailOn::warning || (self.fail_on == FailOn::truncated && eof)) std::longjmp(e->jump, 1);
    };
    errors.base.output_message = [](j_common_ptr) {};
    progress.progress_monitor = [](j_common_ptr c) {
      auto* d = reinterpret_cast<j_decompress_ptr>(c);
      if (d->input_scan_number <= kMaxScans) return;
      auto* e = reinterpret_cast<ErrorManager*>(c->err);
      e->owner->too_many_scans = true;
      std::longjmp(e->jump, 1);
    };
    jpeg_create_decompress(&info);
    info.progress = &progress;
  }
  ~State() { jpeg_destroy_decompress(&info); }

  static std::string format(j_common_ptr c) {
    char text[JMSG_LENGTH_MAX];
    c->err->format_message(c, text);
    return text;
  }

  ImageStatus decode(std::span<const std::uint8_t> bytes, const DecodeOptions& options, const ShrinkLimit* shrink,
                     DecodedImage& out, std::string& error, RowSink* sink);
  void read_rows(RowSink& sink);
};

ImageStatus JpegDecoder::State::decode(std::span<const std::uint8_t> bytes, const DecodeOptions& options,
                                  const ShrinkLimit* shrink, DecodedImage& out, std::string& error, RowSink* sink) {
  fail_on = options.fail_on;
  warned = truncated = too_many_scans = false;
  warning.clear();
  failure.clear();
  volatile bool too_large = false;  // set between setjmp and longjmp
  if (setjmp(errors.jump)) {
    jpeg_abort_decompress(&info);
    if (too_large) return ImageStatus::too_large;
    if (too_many_scans) {
      error = fmt::format("corrupt JPEG: more than {} scans (a progressive scan bomb)", kMaxScans);
      return ImageStatus::corrupt;
    }
    // A file cut short often breaks a header or table after the grey padding: the cause is
    // the truncation, whatever libjpeg then failed on.
    if (truncated) {
      error = "truncated JPEG: " + warning;
      return ImageStatus::truncated;
    }
    if (failure.empty()) {
      error = "damaged JPEG data: " + warning;
      return ImageStatus::decoder_warning;
    }
    error = "corrupt JPEG: " + failure;
    return ImageStatus::corrupt;
  }
  jpeg_mem_src(&info, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_save_markers(&info, JPEG_APP0 + 1, 0xffff);
  jpeg_read_header(&info, TRUE);

  // Checked before jpeg_start_decompress, which allocates (a progressive file's coefficients
  // for the whole image, 128 bytes per pixel block and component).
  const std::uint64_t w = info.image_width, h = info.image_height;
  if (size_over_limit(jpeg_format.name, {w, h}, options.max_pixels, error)) {
    too_large = true;
    std::longjmp(errors.jump, 1);
  }
  const int orientation = exif_orientation(info);
  const bool swapped = orientation >= 5 && orientation <= 8;

  const bool cmyk = info.num_components == 4;
  info.out_color_space = cmyk ? JCS_CMYK : JCS_EXT_RGB;
  info.scale_num = info.scale_denom = 1;
  if (options.shrink_on_load && shrink) {
    const cv::Size need = (*shrink)(cv::Size(int(swapped ? h : w), int(swapped ? w : h)));
    const std::uint64_t need_w = swapped ? need.height : need.width, need_h = swapped ? need.width : need.height;
    for (unsigned denom : {8u, 4u, 2u}) {
      if ((w + denom - 1) / denom >= need_w && (h + denom - 1) / denom >= need_h) {
        info.scale_denom = denom;
        break;
      }
    }
  }
  jpeg_start_decompress(&info);
  if (cmyk) cmyk_row.resize(std::size_t(info.output_width) * 4);
  out.streamed = sink && orientation == 1 && sink->begin({int(info.output_width), int(info.output_height)});
  if (out.streamed) {
    read_rows(*sink);
    out.width = int(w);
    out.height = int(h);
    out.channels = info.num_components;
    return ImageStatus::ok;
  }
  out.rgb.create(int(info.output_height), int(info.output_width), CV_8UC3);
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
  out.width = int(swapped ? h : w);
  out.height = int(swapped ? w : h);
  out.channels = info.num_components;
  return ImageStatus::ok;
}

// The rows into a strip of one iMCU row (16 rows for 4:2:0), each handed to the sink.
void JpegDecoder::State::read_rows(RowSink& sink) {
  constexpr int kStripRows = 16;
  const std::size_t width = info.output_width;
  const std::size_t stride = width * 3 + RowSink::kRowPadding;
  strip.resize(stride * kStripRows);
  JSAMPROW rows[kStripRows];
  for (int i = 0; i < kStripRows; ++i) rows[i] = strip.data() + stride * std::size_t(i);
  while (info.output_scanline < info.output_height) {
    if (info.out_color_space == JCS_CMYK) {
      JSAMPROW row = cmyk_row.data();
      jpeg_read_scanlines(&info, &row, 1);
      cmyk_to_rgb(cmyk_row.data(), rows[0], int(width));
      sink.row(rows[0]);
    } else {
      const JDIMENSION got = jpeg_read_scanlines(&info, rows, kStripRows);
      for (JDIMENSION i = 0; i < got; ++i) sink.row(rows[i]);
    }
  }
  jpeg_finish_decompress(&info);
}

JpegDecoder::JpegDecoder() : state_(std::make_unique<State>()) {}
JpegDecoder::~JpegDecoder() = default;

ImageStatus JpegDecoder::decode(std::span<const std::uint8_t> bytes, const DecodeOptions& options,
                                const ShrinkLimit* shrink, DecodedImage& out, std::string& error, RowSink* sink) {
  return state_->decode(bytes, options, shrink, out, error, sink);
}

void JpegDecoder::abort() { jpeg_abort_decompress(&state_->info); }

}  // namespace imgshard::io
