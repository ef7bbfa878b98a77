#include "io/formats.hpp"

#include <array>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <tuple>

#include <fmt/format.h>

namespace imgshard::io {
namespace {

using Bytes = std::span<const std::uint8_t>;
using Verdict = ContainerCheck::Verdict;

bool starts_with(Bytes b, std::string_view magic, std::size_t at = 0) {
  return b.size() >= at + magic.size() && std::memcmp(b.data() + at, magic.data(), magic.size()) == 0;
}

std::uint32_t be32(const std::uint8_t* p) { return (std::uint32_t(p[0]) << 24) | (p[1] << 16) | (p[2] << 8) | p[3]; }
std::uint32_t le32(const std::uint8_t* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (std::uint32_t(p[3]) << 24); }
std::uint16_t le16(const std::uint8_t* p) { return std::uint16_t(p[0] | (p[1] << 8)); }

// Sizes in headers are attacker-chosen: products and sums saturate instead of wrapping.
std::uint64_t mul_sat(std::uint64_t a, std::uint64_t b) {
  std::uint64_t r;
  return __builtin_mul_overflow(a, b, &r) ? std::numeric_limits<std::uint64_t>::max() : r;
}
std::uint64_t add_sat(std::uint64_t a, std::uint64_t b) {
  std::uint64_t r;
  return __builtin_add_overflow(a, b, &r) ? std::numeric_limits<std::uint64_t>::max() : r;
}

ContainerCheck verdict(Verdict v, std::string reason) { return {v, std::move(reason)}; }

// CRC-32 as PNG computes it (zlib's polynomial); a table of our own rather than linking zlib
// for one function.
std::uint32_t crc32(const std::uint8_t* p, std::size_t n) {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t crc = 0xffffffffu;
  while (n--) crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return ~crc;
}

// ---- PNG -----------------------------------------------------------------------------------

std::optional<DeclaredSize> png_size(Bytes b) {
  if (b.size() < 33 || !starts_with(b, "IHDR", 12)) return std::nullopt;
  const int type = b[25];
  static constexpr int kChannels[7] = {1, 0, 3, 3, 2, 0, 4};  // by colour type; a palette gives colour
  int channels = type <= 6 && kChannels[type] ? kChannels[type] : 3;
  if (type == 0 || type == 2 || type == 3) {
    // A tRNS chunk (before IDAT) gives grey, colour and palette images an alpha channel.
    for (std::uint64_t at = 8 + 12 + std::uint64_t(be32(&b[8])); at + 8 <= b.size();
         at = add_sat(at, 12 + std::uint64_t(be32(&b[at])))) {
      if (starts_with(b, "IDAT", at + 4) || starts_with(b, "IEND", at + 4)) break;
      if (starts_with(b, "tRNS", at + 4)) {
        channels = type == 0 ? 2 : 4;
        break;
      }
    }
  }
  return DeclaredSize{be32(&b[16]), be32(&b[20]), channels};
}

// Walks every chunk: lengths against the file's end, CRCs, up to IEND. libpng fails on a bad
// CRC in a critical chunk (upper-case first letter) and only warns about an ancillary one,
// which cv::imdecode then hides; bytes after IEND are never read by anyone.
ContainerCheck png_check(Bytes b) {
  std::string damaged;
  for (std::uint64_t at = 8;;) {
    if (at + 8 > b.size())
      return verdict(Verdict::truncated, fmt::format("the file ends after {} bytes, before the IEND chunk", b.size()));
    const std::uint64_t length = be32(&b[at]);
    const std::string type(reinterpret_cast<const char*>(&b[at + 4]), 4);
    const std::uint64_t end = at + 12 + length;
    if (end > b.size())
      return verdict(Verdict::truncated,
                     fmt::format("chunk {} at byte {} needs {} bytes, the file has {}", type, at, end, b.size()));
    if (crc32(&b[at + 4], std::size_t(length) + 4) != be32(&b[end - 4])) {
      const bool critical = std::isupper(static_cast<unsigned char>(type[0]));
      if (critical) return verdict(Verdict::corrupt, fmt::format("CRC error in chunk {} at byte {}", type, at));
      if (damaged.empty()) damaged = fmt::format("CRC error in ancillary chunk {} at byte {} (libpng skips it)", type, at);
    }
    if (type == "IEND") break;
    at = end;
  }
  return damaged.empty() ? ContainerCheck{} : verdict(Verdict::damaged, damaged);
}

// ---- BMP -----------------------------------------------------------------------------------

struct BmpHeader {
  std::uint64_t width = 0, height = 0;
  int bpp = 0;
  std::uint32_t compression = 0;
  int channels = 3;
};

// The DIB header sizes of the BMP variants (OS/2 1 and 2, Windows 3 to 5); anything else
// starting with "BM" is most likely text, not a bitmap.
bool known_bmp_header(std::uint32_t size) {
  for (std::uint32_t s : {12u, 16u, 40u, 52u, 56u, 64u, 108u, 124u})
    if (size == s) return true;
  return false;
}

std::optional<BmpHeader> bmp_header(Bytes b) {
  if (b.size() < 26) return std::nullopt;
  const std::uint32_t header = le32(&b[14]);
  BmpHeader h;
  std::uint64_t colours_used = 0;
  if (header == 12) {
    h.width = le16(&b[18]);
    h.height = le16(&b[20]);
    h.bpp = le16(&b[24]);
  } else {
    if (b.size() < 30) return std::nullopt;
    h.width = std::uint64_t(std::llabs(std::int32_t(le32(&b[18]))));
    h.height = std::uint64_t(std::llabs(std::int32_t(le32(&b[22]))));  // negative: top-down rows
    h.bpp = le16(&b[28]);
    if (header >= 20 && b.size() >= 34) h.compression = le32(&b[30]);
    if (header >= 36 && b.size() >= 50) colours_used = le32(&b[46]);
  }
  if (h.bpp == 32) h.channels = 4;
  if (h.bpp >= 1 && h.bpp <= 8) {
    // BMP has no grey type: grey images are stored with a palette of greys, and OpenCV and
    // PIL read such a file as grey. A palette with any colour in it is colour.
    const std::size_t entry = header == 12 ? 3 : 4;
    const std::uint64_t full = 1ull << h.bpp;
    const std::uint64_t count = colours_used && colours_used < full ? colours_used : full;
    const std::uint64_t at = 14 + std::uint64_t(header);
    h.channels = 1;
    for (std::uint64_t i = 0; i < count && at + (i + 1) * entry <= b.size(); ++i) {
      const std::uint8_t* p = &b[at + i * entry];
      if (p[0] != p[1] || p[1] != p[2]) {
        h.channels = 3;
        break;
      }
    }
  }
  return h;
}

ContainerCheck bmp_check(Bytes b) {
  const auto h = bmp_header(b);
  if (!h) return verdict(Verdict::truncated, fmt::format("the file ends after {} bytes, inside its header", b.size()));
  const std::uint64_t offset = le32(&b[10]);
  if (offset > b.size())
    return verdict(Verdict::truncated, fmt::format("pixels at byte {}, the file has {} bytes", offset, b.size()));
  // Uncompressed rows (BI_RGB, BI_BITFIELDS, BI_ALPHABITFIELDS) have a known length; RLE does not.
  if (h->compression == 0 || h->compression == 3 || h->compression == 6) {
    const std::uint64_t bits = mul_sat(h->width, std::uint64_t(h->bpp));
    const std::uint64_t stride = mul_sat(bits / 32 + (bits % 32 != 0), 4);  // rows are padded to 4 bytes
    const std::uint64_t end = add_sat(offset, mul_sat(stride, h->height));
    if (end > b.size())
      return verdict(Verdict::truncated, fmt::format("{}x{} pixels need {} bytes, the file has {}", h->width,
                                                     h->height, end, b.size()));
  }
  return {};
}

// ---- WebP ----------------------------------------------------------------------------------

std::optional<DeclaredSize> webp_size(Bytes b) {
  if (b.size() < 30) return std::nullopt;
  if (starts_with(b, "VP8 ", 12) && b[23] == 0x9d && b[24] == 0x01 && b[25] == 0x2a)
    return DeclaredSize{std::uint64_t(le16(&b[26]) & 0x3fff), std::uint64_t(le16(&b[28]) & 0x3fff), 3};
  if (starts_with(b, "VP8L", 12) && b[20] == 0x2f) {
    // 14 bits width-1, 14 bits height-1, 1 bit alpha_is_used, 3 bits version.
    const std::uint32_t bits = le32(&b[21]);
    return DeclaredSize{(bits & 0x3fff) + 1ull, ((bits >> 14) & 0x3fff) + 1ull, (bits >> 28) & 1 ? 4 : 3};
  }
  if (starts_with(b, "VP8X", 12)) {
    const std::uint64_t w = 1 + (b[24] | (b[25] << 8) | (b[26] << 16));
    const std::uint64_t h = 1 + (b[27] | (b[28] << 8) | (b[29] << 16));
    return DeclaredSize{w, h, (b[20] & 0x10) ? 4 : 3};
  }
  return std::nullopt;
}

ContainerCheck webp_check(Bytes b) {
  const std::uint64_t riff_end = 8 + std::uint64_t(le32(&b[4]));
  if (riff_end > b.size())
    return verdict(Verdict::truncated, fmt::format("its RIFF header declares {} bytes, the file has {}", riff_end, b.size()));
  return {};
}

// ---- TIFF ----------------------------------------------------------------------------------

// The first directory (IFD) of a TIFF, classic or BigTIFF (64-bit offsets, which libtiff and
// so cv::imdecode read too), with bounds checks on every access.
struct Tiff {
  Bytes b;
  bool little, big;
  std::uint64_t ifd = 0, entries = 0;

  explicit Tiff(Bytes bytes) : b(bytes), little(bytes[0] == 'I'), big(bytes[little ? 2 : 3] == 43) {}
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
  std::optional<Field> field(std::uint32_t tag) const {
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
  static bool integer(std::uint32_t type) { return type == 3 || type == 4 || type == 16; }  // SHORT, LONG, LONG8
  static std::uint64_t size_of(std::uint32_t type) { return type == 3 ? 2 : type == 4 ? 4 : type == 16 ? 8 : 1; }
  // Value i of an integer field (nullopt when it lies outside the file).
  std::optional<std::uint64_t> value(const Field& f, std::uint64_t i = 0) const {
    if (i >= f.count || !integer(f.type)) return std::nullopt;
    const std::uint64_t at = f.at + i * size_of(f.type);
    if (!has(at, size_of(f.type))) return std::nullopt;
    return f.type == 3 ? u16(at) : f.type == 4 ? u32(at) : u64(at);
  }
  std::optional<std::uint64_t> scalar(std::uint32_t tag) const {
    const auto f = field(tag);
    return f ? value(*f) : std::nullopt;
  }
};

std::optional<DeclaredSize> tiff_size(Bytes b) {
  Tiff t(b);
  if (!t.open().empty()) return std::nullopt;
  const auto width = t.scalar(256), height = t.scalar(257);
  if (!width || !height || *width == 0 || *height == 0) return std::nullopt;
  // SamplesPerPixel defaults to 1; a palette image (PhotometricInterpretation 3) is colour.
  int channels = int(t.scalar(277).value_or(1));
  if (t.scalar(262).value_or(0) == 3) channels = 3;
  DeclaredSize size{*width, *height, channels};
  if (const auto tw = t.scalar(322), th = t.scalar(323); tw && th) size.buffer_pixels = mul_sat(*tw, *th);
  return size;
}

ContainerCheck tiff_check(Bytes b) {
  Tiff t(b);
  if (std::string why = t.open(); !why.empty()) return verdict(Verdict::truncated, why);
  // Strips or tiles: each offset + byte count must lie within the file.
  for (auto [offsets_tag, counts_tag, what] : {std::tuple{273u, 279u, "strip"}, std::tuple{324u, 325u, "tile"}}) {
    const auto offsets = t.field(offsets_tag), counts = t.field(counts_tag);
    if (!offsets || !counts || !Tiff::integer(offsets->type) || !Tiff::integer(counts->type)) continue;
    for (std::uint64_t i = 0; i < offsets->count && i < counts->count; ++i) {
      const auto offset = t.value(*offsets, i), count = t.value(*counts, i);
      if (!offset || !count)
        return verdict(Verdict::truncated, fmt::format("its {} table lies past the end of the file", what));
      if (add_sat(*offset, *count) > b.size())
        return verdict(Verdict::truncated, fmt::format("{} {} ends at byte {}, the file has {} bytes", what, i,
                                                       add_sat(*offset, *count), b.size()));
    }
  }
  return {};
}

// ---- JPEG ------------------------------------------------------------------------------------

// The first frame header (SOFn), as jpeg_read_header takes it; nullopt when `b` ends before one.
// Used on a file's first bytes only, to refuse a bomb before the rest is read: the decoder
// itself reads the header with libjpeg.
std::optional<DeclaredSize> jpeg_size(Bytes b) {
  if (b.size() < 4 || b[0] != 0xff || b[1] != 0xd8) return std::nullopt;
  std::size_t at = 2;
  while (at + 4 <= b.size()) {
    if (b[at] != 0xff) return std::nullopt;
    const std::uint8_t marker = b[at + 1];
    if (marker == 0xff) {  // fill byte
      ++at;
      continue;
    }
    if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {  // no length: TEM, RSTn, SOI
      at += 2;
      continue;
    }
    if (marker == 0xd9 || marker == 0xda) return std::nullopt;  // EOI or SOS before a frame
    const std::size_t length = std::size_t(b[at + 2]) << 8 | b[at + 3];
    if (length < 2) return std::nullopt;
    const bool frame = marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
    if (frame) {
      if (at + 10 > b.size()) return std::nullopt;
      const std::uint64_t height = std::uint64_t(b[at + 5]) << 8 | b[at + 6];
      const std::uint64_t width = std::uint64_t(b[at + 7]) << 8 | b[at + 8];
      return DeclaredSize{width, height, b[at + 9] == 1 ? 1 : 3};
    }
    at += 2 + length;
  }
  return std::nullopt;
}

// ---- PNM (P1-P6: PBM, PGM, PPM, plain and raw; P7: PAM) ------------------------------------

struct PnmHeader {
  std::uint64_t width = 0, height = 0, maxval = 1;
  int channels = 1;
  std::uint64_t data_at = 0;  // where raw pixels start
};

// nullopt when the header is unreadable; `cut` then tells whether it was cut short by the end
// of the file (truncated) rather than broken (corrupt).
std::optional<PnmHeader> pnm_header(Bytes b, bool* cut = nullptr) {
  if (cut) *cut = false;
  const auto fail = [&]() -> std::optional<PnmHeader> {
    if (cut) *cut = true;
    return std::nullopt;
  };
  if (b.size() < 3) return fail();
  const char kind = char(b[1]);
  std::size_t at = 2;
  const auto skip_space = [&] {  // whitespace, and '#' comments to the end of their line
    while (at < b.size() && (std::isspace(b[at]) || b[at] == '#')) {
      if (b[at] == '#')
        while (at < b.size() && b[at] != '\n') ++at;
      else
        ++at;
    }
  };
  // P7 (PAM) numbers: whitespace and '#' comments before, the number ends before its terminator.
  const auto number = [&]() -> std::optional<std::uint64_t> {
    skip_space();
    if (at >= b.size()) {
      if (cut) *cut = true;
      return std::nullopt;
    }
    if (!std::isdigit(b[at])) return std::nullopt;
    std::uint64_t n = 0;
    while (at < b.size() && std::isdigit(b[at])) n = add_sat(mul_sat(n, 10), std::uint64_t(b[at++] - '0'));
    return n;
  };
  // P1-P6 numbers exactly as OpenCV 4.6 reads them (ReadNumber in grfmt_pxm.cpp), so that the
  // size we check is the size cv::imdecode allocates: the byte that ends a number is consumed
  // whatever it is (a '#' there does not start a comment), a comment runs to '\n' or '\r',
  // C's isspace separates (\v and \f included), and a value over INT_MAX is an error.
  bool unreadable = false;  // a byte OpenCV refuses, or a value it asserts on
  const auto opencv_number = [&]() -> std::optional<std::uint64_t> {
    const auto next = [&]() -> int { return at < b.size() ? int(b[at++]) : -1; };
    int code = next();
    while (code < 0 || !std::isdigit(code)) {
      if (code < 0) {
        if (cut) *cut = true;
        return std::nullopt;
      }
      if (code == '#') {
        do code = next();
        while (code >= 0 && code != '\n' && code != '\r');
        if (code >= 0) code = next();
      } else if (std::isspace(code)) {
        while (code >= 0 && std::isspace(code)) code = next();
      } else {
        unreadable = true;
        return std::nullopt;
      }
    }
    std::uint64_t n = 0;
    do {
      n = n * 10 + std::uint64_t(code - '0');
      if (n > std::uint64_t(std::numeric_limits<int>::max())) {
        unreadable = true;
        return std::nullopt;
      }
      code = next();
    } while (code >= 0 && std::isdigit(code));
    // The terminator is consumed; at the very end of the file OpenCV reads past it and fails.
    if (code < 0) {
      if (cut) *cut = true;
      return std::nullopt;
    }
    return n;
  };
  PnmHeader h;
  if (kind == '7') {
    bool end = false;
    while (!end) {
      skip_space();
      std::string key;
      while (at < b.size() && std::isalpha(b[at])) key += char(b[at++]);
      if (at >= b.size()) return fail();
      if (key.empty()) return std::nullopt;
      if (key == "ENDHDR") {
        end = true;
      } else if (key == "TUPLTYPE") {
        while (at < b.size() && b[at] != '\n') ++at;
      } else {
        const auto n = number();
        if (!n) return std::nullopt;
        if (key == "WIDTH") h.width = *n;
        else if (key == "HEIGHT") h.height = *n;
        else if (key == "DEPTH") h.channels = int(std::min<std::uint64_t>(*n, 4));
        else if (key == "MAXVAL") h.maxval = *n;
      }
    }
    while (at < b.size() && b[at] != '\n') ++at;
    h.data_at = at + 1;
    return h;
  }
  const auto w = opencv_number();
  const auto height = w ? opencv_number() : std::nullopt;
  if (!w || !height) return unreadable ? std::nullopt : fail();
  h.width = *w;
  h.height = *height;
  if (kind != '1' && kind != '4') {
    const auto maxval = opencv_number();
    if (!maxval) return unreadable ? std::nullopt : fail();
    h.maxval = *maxval;
  }
  // OpenCV's readHeader refuses these: no pixel is ever allocated for them.
  if (h.width == 0 || h.height == 0 || h.maxval == 0 || h.maxval > 65535) return std::nullopt;
  h.channels = kind == '3' || kind == '6' ? 3 : 1;
  h.data_at = at;  // the byte after the one that ended the last number
  return h;
}

std::optional<DeclaredSize> pnm_size(Bytes b) {
  const auto h = pnm_header(b);
  if (!h) return std::nullopt;
  return DeclaredSize{h->width, h->height, h->channels};
}

ContainerCheck pnm_check(Bytes b) {
  bool cut = false;
  const auto h = pnm_header(b, &cut);
  if (!h && cut) return verdict(Verdict::truncated, fmt::format("the file ends after {} bytes, inside its header", b.size()));
  if (!h) return verdict(Verdict::corrupt, "its header is not a PNM header");
  const char kind = char(b[1]);
  if (kind == '1' || kind == '2' || kind == '3') return {};  // plain (text) samples: no fixed length
  const std::uint64_t row = kind == '4' ? (h->width + 7) / 8
                                        : mul_sat(mul_sat(h->width, std::uint64_t(h->channels)), h->maxval > 255 ? 2 : 1);
  const std::uint64_t end = add_sat(h->data_at, mul_sat(row, h->height));
  if (end > b.size())
    return verdict(Verdict::truncated, fmt::format("{}x{} pixels need {} bytes, the file has {}", h->width, h->height,
                                                   end, b.size()));
  return {};
}

// Sniffing PNM needs more than its two-byte magic ("P5 is..." is text): the first field after
// it must be a number (P1-P6) or a keyword (P7), comments allowed in between.
bool looks_like_pnm(Bytes b) {
  if (b.size() < 3 || b[0] != 'P' || b[1] < '1' || b[1] > '7' || !std::isspace(b[2])) return false;
  std::size_t at = 2;
  while (at < b.size() && (std::isspace(b[at]) || b[at] == '#')) {
    if (b[at] == '#')
      while (at < b.size() && b[at] != '\n') ++at;
    else
      ++at;
  }
  if (at >= b.size()) return true;  // cut short inside the header: a truncated PNM
  return b[1] == '7' ? std::isupper(b[at]) != 0 : std::isdigit(b[at]) != 0;
}

}  // namespace

std::string_view format_name(Format format) {
  switch (format) {
    case Format::jpeg: return "JPEG";
    case Format::png: return "PNG";
    case Format::webp: return "WebP";
    case Format::tiff: return "TIFF";
    case Format::bmp: return "BMP";
    case Format::pnm: return "PNM";
    case Format::gif: return "GIF";
    case Format::unknown: break;
  }
  return "unknown";
}

Format sniff_format(Bytes b) {
  if (b.size() >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff) return Format::jpeg;
  if (starts_with(b, "\x89PNG\r\n\x1a\n")) return Format::png;
  if (starts_with(b, "RIFF") && starts_with(b, "WEBP", 8)) return Format::webp;
  for (const char* magic : {"II*\0", "MM\0*", "II+\0", "MM\0+"})  // classic TIFF, BigTIFF
    if (starts_with(b, std::string_view(magic, 4))) return Format::tiff;
  if (starts_with(b, "BM") && b.size() >= 18 && known_bmp_header(le32(&b[14]))) return Format::bmp;
  if (looks_like_pnm(b)) return Format::pnm;
  if (starts_with(b, "GIF87a") || starts_with(b, "GIF89a")) return Format::gif;
  return Format::unknown;
}

std::optional<DeclaredSize> declared_size(Format format, Bytes bytes) {
  switch (format) {
    case Format::jpeg: return jpeg_size(bytes);
    case Format::png: return png_size(bytes);
    case Format::bmp: {
      const auto h = bmp_header(bytes);
      if (!h) return std::nullopt;
      return DeclaredSize{h->width, h->height, h->channels};
    }
    case Format::webp: return webp_size(bytes);
    case Format::tiff: return tiff_size(bytes);
    case Format::pnm: return pnm_size(bytes);
    default: return std::nullopt;
  }
}

ContainerCheck check_container(Format format, Bytes bytes) {
  switch (format) {
    case Format::png: return png_check(bytes);
    case Format::bmp: return bmp_check(bytes);
    case Format::webp: return webp_check(bytes);
    case Format::tiff: return tiff_check(bytes);
    case Format::pnm: return pnm_check(bytes);
    default: return {};
  }
}

}  // namespace imgshard::io
