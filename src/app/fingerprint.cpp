#include "app/fingerprint.hpp"

#include <fmt/format.h>

namespace imgshard::app {

void Fingerprint::add(std::string_view text) {
  for (unsigned char c : text) {
    hash_ ^= c;
    hash_ *= 1099511628211ull;
  }
  hash_ ^= 0xff;  // separator: "ab","c" differs from "a","bc"
  hash_ *= 1099511628211ull;
}

std::string Fingerprint::hex() const { return fmt::format("{:016x}", hash_); }

}  // namespace imgshard::app
