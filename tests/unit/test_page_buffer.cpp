// Where a unit's row buffer lies: on a page (the rows go to disk with O_DIRECT), and a large
// one on huge pages (its first touch costs one fault per 2 MiB, not per 4 KiB).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "pipeline/page_buffer.hpp"

using imgshard::pipeline::kPageAlign;
using imgshard::pipeline::PageBuffer;

namespace {

// The VmFlags line of the mapping that holds `p` (/proc/self/smaps), or "" when none does.
std::string vm_flags(const void* p) {
  std::ifstream smaps("/proc/self/smaps");
  const auto at = reinterpret_cast<std::uintptr_t>(p);
  bool inside = false;
  for (std::string line; std::getline(smaps, line);) {
    std::uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> lo >> dash >> hi && dash == '-') {  // "lo-hi perms offset dev inode path"
      inside = lo <= at && at < hi;
      continue;
    }
    if (inside && line.starts_with("VmFlags:")) return line;
  }
  return "";
}

}  // namespace

TEST(PageBuffer, SmallBuffersStartOnAPage) {
  for (std::size_t n : {std::size_t(1), std::size_t(4097), std::size_t(1) << 20}) {
    PageBuffer b(n);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b.data()) % kPageAlign, 0u) << n;
  }
}

TEST(PageBuffer, AUnitOfRowsStartsOnAHugePageAndAsksForHugePages) {
  PageBuffer b(64 * 224 * 224 * 3);  // a unit of resize=224:224 rows
  std::memset(b.data(), 1, b.size());
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b.data()) % (std::uintptr_t(2) << 20), 0u);  // a 2 MiB huge page
  if (!std::filesystem::exists("/sys/kernel/mm/transparent_hugepage"))
    GTEST_SKIP() << "this kernel has no transparent huge pages";
  EXPECT_NE(vm_flags(b.data()).find(" hg"), std::string::npos) << vm_flags(b.data());  // MADV_HUGEPAGE
}
