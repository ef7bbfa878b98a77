// What a unit's result holds: its row buffer, on a page (the rows go to disk with O_DIRECT)
// and, when large, on huge pages (its first touch costs one fault per 2 MiB, not per 4 KiB);
// its failed images' reasons, one line each.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "pipeline/batch.hpp"
#include "pipeline/page_buffer.hpp"

using imgshard::pipeline::kPageAlign;
using imgshard::pipeline::one_line;
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

TEST(UnitResult, AReasonIsOneLine) {
  // cv::Exception's what(), as a kernel running out of memory threw it: it ended in "\n", so
  // /errors held two lines and the run's summary printed a blank one.
  EXPECT_EQ(one_line("OpenCV(4.6.0) alloc.cpp:73: error: (-4:Insufficient memory) Failed to allocate 9 bytes\n"),
            "OpenCV(4.6.0) alloc.cpp:73: error: (-4:Insufficient memory) Failed to allocate 9 bytes");
  EXPECT_EQ(one_line("first line  \r\n   second\n\nthird"), "first line second third");
  EXPECT_EQ(one_line("\n  leading"), "leading");
  EXPECT_EQ(one_line("  kept as it is\t"), "  kept as it is\t");  // no break: untouched
  EXPECT_EQ(one_line(""), "");
}
