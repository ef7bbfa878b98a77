// TIFF (classic and BigTIFF): the size, channels and tile from the first directory; every
// strip and tile against the file's length.
#include <tuple>

#include <fmt/format.h>

#include "io/formats.hpp"

namespace imgshard::io {
namespace {

using Verdict = ContainerCheck::Verdict;

// The fields read here (TIFF 6.0, section 8 and the tiling extension).
enum Tag : std::uint32_t {
  kImageWidth = 256,
  kImageLength = 257,
  kStripOffsets = 273,
  kPhotometricInterpretation = 262,
  kSamplesPerPixel = 277,
  kStripByteCounts = 279,
  kTileWidth = 322,
  kTileLength = 323,
  kTileOffsets = 324,
  kTileByteCounts = 325,
};
enum FieldType : std::uint32_t { kShort = 3, kLong = 4, kLong8 = 16 };  // the integer types
constexpr std::uint64_t kPalette = 3;                                   // a PhotometricInterpretation
constexpr std::uint8_t kBigTiffVersion = 43;                            // 42: classic

bool sniff(Bytes b) {
  for (const char* magic : {"II*\0", "MM\0*", "II+\0", "MM\0+"})  // classic TIFF, BigTIFF
    if (starts_with(b, std::string_view(magic, 4))) return true;
  return false;
}

// The first directory (IFD) of a TIFF, classic or BigTIFF (64-bit offsets, which libtiff and
// so cv::imdecode read too), with bounds checks on every access.
struct Tiff {
  Bytes b;
  bool little, big;
  std::uint64_t ifd = 0, entries = 0;

  explicit Tiff(Bytes bytes)
      : b(bytes), little(bytes[0] == 'I'), big(bytes[little ? 2 : 3] == kBigTiffVersion) {}
  std::uint32_t u16(std::uint64_t at) const { return little ? b[at] | (b[at + 1] << 8) : (b[at] << 8) | b[at + 1]; }
  std::uint32_t u32(std::uint64_t at) const { return little ? le32(&b[at]) : be32(&b[at]); }
  std::uint64_t u64(std::uint64_t at) const {
    const std::uint64_t lo = u32(at + (little ? 0 : 4)), hi = u32(at + (little ? 4 : 0));
    return hi << 32 | lo;
  }
  std::uint64_t offset(std::uint64_t at) const { return big ? u64(at) : u32(at); }
  bool has(std::uint64_t at, std::uint64_t n) const { return at <= b.size() && n <= b.size() - at; }
  std::uint64_t entry_size() const { return big ? 20 : 12; }
  std::uint64_t count_size() const { return big ? 8 : 2; }

  // Empty reason when the directory is within the file.
  std::string open() {
    if (!has(0, big ? 16 : 8)) return fmt::format("the file ends after {} bytes, inside its header", b.size());
    ifd = offset(big ? 8 : 4);
    if (!has(ifd, count_size()))
      return fmt::format("its first directory is at byte {}, the file has {} bytes", ifd, b.size());
    entries = big ? u64(ifd) : u16(ifd);
    if (!has(ifd + count_size(), mul_sat(entries, entry_size())) ||
        !has(ifd + count_size() + entries * entry_size(), count_size() == 8 ? 8 : 4))
      return fmt::format("its first directory ({} entries at byte {}) ends past the end of the file", entries, ifd);
    return {};
  }
  struct Field {
    std::uint32_t type = 0;
    std::uint64_t count = 0, at = 0;  // where the values are: inline in the entry, or at an offset
  };
  std::optional<Field> field(Tag tag) const {
    for (std::uint64_t i = 0; i < entries; ++i) {
      const std::uint64_t e = ifd + count_size() + entry_size() * i;
      if (u16(e) != tag) continue;
      const std::uint64_t value_at = e + (big ? 12 : 8);
      Field f{u16(e + 2), big ? u64(e + 4) : u32(e + 4), value_at};
      if (mul_sat(f.count, size_of(f.type)) > (big ? 8u : 4u)) f.at = offset(value_at);
      return f;
    }
    return std::nullopt;
  }
  static bool integer(std::uint32_t type) { return type == kShort || type == kLong || type == kLong8; }
  static std::uint64_t size_of(std::uint32_t type) {
    return type == kShort ? 2 : type == kLong ? 4 : type == kLong8 ? 8 : 1;
  }
  // Value i of an integer field (nullopt when it lies outside the file).
  std::optional<std::uint64_t> value(const Field& f, std::uint64_t i = 0) const {
    if (i >= f.count || !integer(f.type)) return std::nullopt;
    const std::uint64_t at = f.at + i * size_of(f.type);
    if (!has(at, size_of(f.type))) return std::nullopt;
    return f.type == kShort ? u16(at) : f.type == kLong ? u32(at) : u64(at);
  }
  std::optional<std::uint64_t> scalar(Tag tag) const {
    const auto f = field(tag);
    return f ? value(*f) : std::nullopt;
  }
};

std::optional<DeclaredSize> size(Bytes b) {
  Tiff t(b);
  if (!t.open().empty()) return std::nullopt;
  const auto width = t.scalar(kImageWidth), height = t.scalar(kImageLength);
  if (!width || !height || *width == 0 || *height == 0) return std::nullopt;
  // SamplesPerPixel defaults to 1; a palette image is colour.
  int channels = int(t.scalar(kSamplesPerPixel).value_or(1));
  if (t.scalar(kPhotometricInterpretation).value_or(0) == kPalette) channels = 3;
  DeclaredSize declared{*width, *height, channels};
  if (const auto tw = t.scalar(kTileWidth), th = t.scalar(kTileLength); tw && th)
    declared.buffer_pixels = mul_sat(*tw, *th);
  return declared;
}

ContainerCheck check(Bytes b) {
  Tiff t(b);
  if (std::string why = t.open(); !why.empty()) return {Verdict::truncated, why};
  // Strips or tiles: each offset + byte count must lie within the file.
  for (auto [offsets_tag, counts_tag, what] :
       {std::tuple{kStripOffsets, kStripByteCounts, "strip"}, std::tuple{kTileOffsets, kTileByteCounts, "tile"}}) {
    const auto offsets = t.field(offsets_tag), counts = t.field(counts_tag);
    if (!offsets || !counts || !Tiff::integer(offsets->type) || !Tiff::integer(counts->type)) continue;
    for (std::uint64_t i = 0; i < offsets->count && i < counts->count; ++i) {
      const auto offset = t.value(*offsets, i), count = t.value(*counts, i);
      if (!offset || !count)
        return {Verdict::truncated, fmt::format("its {} table lies past the end of the file", what)};
      if (add_sat(*offset, *count) > b.size())
        return {Verdict::truncated, fmt::format("{} {} ends at byte {}, the file has {} bytes", what, i,
                                                add_sat(*offset, *count), b.size())};
    }
  }
  return {};
}

constexpr std::string_view kExtensions[] = {"tif", "tiff"};

}  // namespace

constinit const ImageFormat tiff_format{
    .name = "TIFF", .extensions = kExtensions, .sniff = sniff, .size = size, .check = check};

}  // namespace imgshard::io
