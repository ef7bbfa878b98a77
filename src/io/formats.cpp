#include "io/formats.hpp"

#include <fmt/format.h>

namespace imgshard::io {

const std::vector<const ImageFormat*>& all_formats() {
  static const std::vector<const ImageFormat*> formats = {&jpeg_format, &png_format, &webp_format, &tiff_format,
                                                          &bmp_format,  &pnm_format, &gif_format};
  return formats;
}

const ImageFormat* sniff_format(Bytes bytes) {
  for (const ImageFormat* format : all_formats())
    if (format->sniff(bytes)) return format;
  return nullptr;
}

const std::string& image_extensions_text() {
  static const std::string text = [] {
    std::string words;
    for (const ImageFormat* format : all_formats())
      for (std::string_view ext : format->extensions) words += fmt::format("{}{}", words.empty() ? "" : " ", ext);
    return words;
  }();
  return text;
}

const std::string& decoded_formats_text() {
  static const std::string text = [] {
    std::vector<std::string_view> names;
    for (const ImageFormat* format : all_formats())
      if (format->decoded) names.push_back(format->name);
    std::string words;
    for (std::size_t i = 0; i < names.size(); ++i)
      words += fmt::format("{}{}", i == 0 ? "" : i + 1 == names.size() ? " or " : ", ", names[i]);
    return words;
  }();
  return text;
}

bool size_over_limit(std::string_view format, const DeclaredSize& declared, std::uint64_t max_pixels,
                     std::string& error) {
  const std::uint64_t pixels = mul_sat(declared.width, declared.height);
  if (pixels > max_pixels) {
    error = fmt::format("{} declares {}x{} = {} pixels, over --max-pixels {}", format, declared.width,
                        declared.height, pixels, max_pixels);
    return true;
  }
  if (declared.buffer_pixels > max_pixels) {
    error = fmt::format("{} declares {}x{} pixels, but decoding needs {} pixels at once (its tile), over --max-pixels {}",
                        format, declared.width, declared.height, declared.buffer_pixels, max_pixels);
    return true;
  }
  return false;
}

}  // namespace imgshard::io
