// PNM (P1-P6: PBM, PGM, PPM, plain and raw; P7: PAM): the size from the header, read as
// OpenCV reads it, and the raw samples against the file's length.
#include <algorithm>
#include <cctype>
#include <limits>

#include <fmt/format.h>

#include "io/formats.hpp"

namespace imgshard::io {
namespace {

using Verdict = ContainerCheck::Verdict;

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

std::optional<DeclaredSize> size(Bytes b) {
  const auto h = pnm_header(b);
  if (!h) return std::nullopt;
  return DeclaredSize{h->width, h->height, h->channels};
}

ContainerCheck check(Bytes b) {
  bool cut = false;
  const auto h = pnm_header(b, &cut);
  if (!h && cut) return {Verdict::truncated, fmt::format("the file ends after {} bytes, inside its header", b.size())};
  if (!h) return {Verdict::corrupt, "its header is not a PNM header"};
  const char kind = char(b[1]);
  if (kind == '1' || kind == '2' || kind == '3') return {};  // plain (text) samples: no fixed length
  const std::uint64_t row = kind == '4' ? (h->width + 7) / 8
                                        : mul_sat(mul_sat(h->width, std::uint64_t(h->channels)), h->maxval > 255 ? 2 : 1);
  const std::uint64_t end = add_sat(h->data_at, mul_sat(row, h->height));
  if (end > b.size())
    return {Verdict::truncated,
            fmt::format("{}x{} pixels need {} bytes, the file has {}", h->width, h->height, end, b.size())};
  return {};
}

// Sniffing PNM needs more than its two-byte magic ("P5 is..." is text): the first field after
// it must be a number (P1-P6) or a keyword (P7), comments allowed in between.
bool sniff(Bytes b) {
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

constexpr std::string_view kExtensions[] = {"pgm", "ppm"};

}  // namespace

constinit const ImageFormat pnm_format{
    .name = "PNM", .extensions = kExtensions, .sniff = sniff, .size = size, .check = check};

}  // namespace imgshard::io
