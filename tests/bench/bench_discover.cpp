// bench_discover: how long rank 0 spends finding the images of a run, before any work.
//
//   bench_discover [--repeat K] INPUT...
//
// Runs imgshard's discovery (io::discover: folder walk, @list, @FILE.csv, zip/tar index)
// over the INPUTs K times (default 5) and prints, as one JSON line on stdout, the images
// found and the minimum, median and maximum seconds. The page cache is left as it is: run
// it twice for warm-cache figures, or drop caches first for cold ones.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "io/discover.hpp"

int main(int argc, char** argv) {
  int repeat = 5;
  std::vector<std::string> inputs;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--repeat" && i + 1 < argc) {
      repeat = std::max(1, std::atoi(argv[++i]));
    } else if (a == "-h" || a == "--help") {
      std::puts("bench_discover [--repeat K] INPUT...");
      return 0;
    } else {
      inputs.push_back(a);
    }
  }
  if (inputs.empty()) {
    std::fputs("bench_discover: no INPUT\n", stderr);
    return 1;
  }
  std::vector<double> seconds;
  std::size_t images = 0;
  try {
    for (int k = 0; k < repeat; ++k) {
      const auto t0 = std::chrono::steady_clock::now();
      const auto c = imgshard::io::discover(inputs, imgshard::io::DiscoverOptions{});
      seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      images = c.images.size();
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "bench_discover: {}\n", e.what());
    return 1;
  }
  std::sort(seconds.begin(), seconds.end());
  fmt::print("{{\"images\": {}, \"repeat\": {}, \"min_s\": {:.6f}, \"median_s\": {:.6f}, \"max_s\": {:.6f}}}\n", images,
             repeat, seconds.front(), seconds[seconds.size() / 2], seconds.back());
  return 0;
}
