#include "store/utf8.hpp"

#include <cstdint>

namespace imgshard::store {
namespace {

// Length of the sequence at the start of `s` (1-4) that is kept as it is, or 0 when its
// first byte is to be escaped: a sequence is kept when it is valid UTF-8 (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF) and not a NUL, which is valid but
// ends HDF5's strings (a zip member's name may hold one).
std::size_t kept_sequence(std::string_view s) {
  const auto b = [&](std::size_t i) { return std::uint8_t(s[i]); };
  const std::uint8_t c = b(0);
  if (c == 0) return 0;
  if (c < 0x80) return 1;
  std::size_t n = 0;
  std::uint8_t lo = 0x80, hi = 0xbf;  // allowed range of the second byte
  if (c >= 0xc2 && c <= 0xdf) n = 2;
  else if (c == 0xe0) n = 3, lo = 0xa0;
  else if (c == 0xed) n = 3, hi = 0x9f;
  else if (c >= 0xe1 && c <= 0xef) n = 3;
  else if (c == 0xf0) n = 4, lo = 0x90;
  else if (c >= 0xf1 && c <= 0xf3) n = 4;
  else if (c == 0xf4) n = 4, hi = 0x8f;
  else return 0;
  if (s.size() < n || b(1) < lo || b(1) > hi) return 0;
  for (std::size_t i = 2; i < n; ++i)
    if (b(i) < 0x80 || b(i) > 0xbf) return 0;
  return n;
}

}  // namespace

std::string utf8_text(std::string_view bytes, bool reversible) {
  std::string out;
  out.reserve(bytes.size());
  for (std::size_t at = 0; at < bytes.size();) {
    const std::size_t n = kept_sequence(bytes.substr(at));
    if (n == 0) {
      static constexpr char kHex[] = "0123456789abcdef";
      const auto c = std::uint8_t(bytes[at++]);
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      if (reversible && bytes[at] == '\\') out += '\\';
      out.append(bytes.substr(at, n));
      at += n;
    }
  }
  return out;
}

}  // namespace imgshard::store
