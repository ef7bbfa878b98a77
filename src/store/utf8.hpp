#pragma once
// Text that is valid UTF-8 whatever bytes it came from, as the UTF-8 datasets promise.
#include <string>
#include <string_view>

namespace imgshard::store {

// Each byte that is not part of a valid UTF-8 sequence, and a NUL, is written "\xHH"
// (lower-case hex).
// With `reversible` (file names, in /paths), a backslash is also written "\\", so that the
// original bytes can be recovered exactly; valid UTF-8 without a backslash is always kept
// as it is.
std::string utf8_text(std::string_view bytes, bool reversible);

}  // namespace imgshard::store
