// bare_decode: the speed limits for imgshard's default pipeline on this machine.
//
// A bare loop, with nothing of imgshard's I/O, scheduling or output in it: read every file,
// decode it with TurboJPEG (tjDecompress2 to TJPF_RGB, default flags, as imgshard's exact
// decode), resize it to 224x224 with INTER_AREA, and throw the pixels away. OpenMP
// parallel for over the files (schedule dynamic, one file at a time), one TurboJPEG handle
// and one set of buffers per thread, OpenCV's own threading off.
//
//   bare_decode [--threads N] [--scale auto|1|2|4|8] [--size WxH] [--resize opencv|area|none]
//               [--repeat K] INPUT...
//
// INPUT: directories (walked recursively, links followed, sorted), image files, or
// @list.txt (one path a line, relative to the list's folder).
// --scale 1 (default): full-size decode, the limit for `imgshard --decode exact`.
// --scale auto: the smallest DCT scaling factor among 1/2, 1/4, 1/8 that still leaves both
//   sides >= the target size (TJSCALED rounds up), else 1/1: the limit for `--decode fast`.
// --scale 2|4|8: always decode at 1/2, 1/4 or 1/8 (the output may then be upscaled).
// --resize opencv (default): cv::resize(INTER_AREA); area: imgshard's INTER_AREA resampler
//   (kernels/area_resample, bit-identical); none: no resize at all, read + decode only, the
//   physical limit of any pipeline that decodes every pixel.
// Files TurboJPEG cannot parse (PNG, ...) go through cv::imdecode.
//
// Prints a human-readable summary on stderr and, as the last line on stdout, one JSON
// object: images, ok, failed, threads, scale, resize, seconds (wall time of the loop:
// reading, decoding and resizing; listing the inputs excluded), images_per_s, the
// thread-seconds spent in each phase, and a checksum of the outputs.
// With --repeat K the loop runs K times and the JSON reports the median run.

#include <turbojpeg.h>

#include <omp.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/area_resample.hpp"

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

bool has_image_extension(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  static const char* const kExt[] = {".jpg", ".jpeg", ".png", ".webp", ".tif",
                                     ".tiff", ".bmp", ".pgm", ".ppm"};
  return std::any_of(std::begin(kExt), std::end(kExt), [&](const char* e) { return ext == e; });
}

std::vector<std::string> list_inputs(const std::vector<std::string>& inputs) {
  std::vector<std::string> out;
  for (const std::string& in : inputs) {
    if (!in.empty() && in[0] == '@') {
      const fs::path list = in.substr(1);
      std::ifstream f(list);
      if (!f) {
        std::cerr << "bare_decode: cannot open list " << list << "\n";
        std::exit(1);
      }
      const fs::path base = list.parent_path();
      std::string line;
      while (std::getline(f, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty()) out.push_back((base / line).string());
      }
    } else if (fs::is_directory(in)) {
      std::vector<std::pair<std::string, std::string>> found;  // (relative, full)
      for (auto it = fs::recursive_directory_iterator(
               in, fs::directory_options::follow_directory_symlink);
           it != fs::recursive_directory_iterator(); ++it) {
        if (it->is_regular_file() && has_image_extension(it->path()))
          found.emplace_back(fs::relative(it->path(), in).string(), it->path().string());
      }
      std::sort(found.begin(), found.end());
      for (auto& f : found) out.push_back(std::move(f.second));
    } else if (fs::exists(in)) {
      out.push_back(in);
    } else {
      std::cerr << "bare_decode: no such file or directory: " << in << "\n";
      std::exit(1);
    }
  }
  return out;
}

bool read_file(const std::string& path, std::vector<unsigned char>& buf) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  bool ok = std::fseek(f, 0, SEEK_END) == 0;
  const long size = ok ? std::ftell(f) : -1;
  ok = ok && size > 0 && std::fseek(f, 0, SEEK_SET) == 0;
  if (ok) {
    buf.resize(static_cast<size_t>(size));
    ok = std::fread(buf.data(), 1, buf.size(), f) == buf.size();
  }
  std::fclose(f);
  return ok;
}

// The DCT scaling factor to decode at: denominator 1, 2, 4 or 8 (fixed), or, with
// scale_denom == 0 ("auto"), the largest denominator that keeps both sides >= the target.
tjscalingfactor pick_scale(int width, int height, int target_w, int target_h, int scale_denom) {
  int count = 0;
  const tjscalingfactor* factors = tjGetScalingFactors(&count);
  tjscalingfactor best{1, 1};
  for (int i = 0; i < count; ++i) {
    const tjscalingfactor sf = factors[i];
    if (sf.num != 1 || (sf.denom != 2 && sf.denom != 4 && sf.denom != 8)) continue;
    if (scale_denom != 0) {
      if (sf.denom == scale_denom) return sf;
      continue;
    }
    if (TJSCALED(width, sf) >= target_w && TJSCALED(height, sf) >= target_h &&
        sf.denom > best.denom)
      best = sf;
  }
  return best;
}

struct ThreadStats {
  long ok = 0, failed = 0;
  long scaled = 0;  // images decoded at a reduced DCT scale
  double read_s = 0, decode_s = 0, resize_s = 0;
  double decoded_mpix = 0;
  std::uint64_t checksum = 0;
};

struct RunResult {
  double seconds = 0;
  ThreadStats total;
};

enum class Resize { opencv, area, none };

RunResult run_once(const std::vector<std::string>& files, int threads, int scale_denom,
                   int target_w, int target_h, Resize resize) {
  std::vector<ThreadStats> stats(static_cast<size_t>(threads));
  const long n = static_cast<long>(files.size());
  const auto t0 = Clock::now();
#pragma omp parallel num_threads(threads)
  {
    ThreadStats& st = stats[static_cast<size_t>(omp_get_thread_num())];
    tjhandle tj = tjInitDecompress();
    std::vector<unsigned char> file;
    std::vector<unsigned char> pixels;
    cv::Mat out;
#pragma omp for schedule(dynamic, 1)
    for (long i = 0; i < n; ++i) {
      auto t = Clock::now();
      if (!read_file(files[static_cast<size_t>(i)], file)) {
        ++st.failed;
        continue;
      }
      st.read_s += seconds_since(t);

      t = Clock::now();
      cv::Mat img;
      int width = 0, height = 0, subsamp = 0, colorspace = 0;
      if (tj && tjDecompressHeader3(tj, file.data(), static_cast<unsigned long>(file.size()), &width,
                                    &height, &subsamp, &colorspace) == 0) {
        const tjscalingfactor sf = pick_scale(width, height, target_w, target_h, scale_denom);
        const int sw = TJSCALED(width, sf), sh = TJSCALED(height, sf);
        pixels.resize(static_cast<size_t>(sw) * static_cast<size_t>(sh) * 3);
        if (tjDecompress2(tj, file.data(), static_cast<unsigned long>(file.size()), pixels.data(),
                          sw, sw * 3, sh, TJPF_RGB, 0) != 0) {
          ++st.failed;
          st.decode_s += seconds_since(t);
          continue;
        }
        if (sf.denom != 1) ++st.scaled;
        img = cv::Mat(sh, sw, CV_8UC3, pixels.data());
      } else {
        cv::Mat bgr = cv::imdecode(cv::Mat(1, static_cast<int>(file.size()), CV_8UC1, file.data()),
                                   cv::IMREAD_COLOR);
        if (bgr.empty()) {
          ++st.failed;
          st.decode_s += seconds_since(t);
          continue;
        }
        cv::cvtColor(bgr, img, cv::COLOR_BGR2RGB);
      }
      st.decode_s += seconds_since(t);
      st.decoded_mpix += static_cast<double>(img.total()) / 1e6;

      if (resize == Resize::none) {
        out = img;
      } else {
        t = Clock::now();
        if (resize == Resize::area)
          imgshard::kernels::resize_area(img, out, cv::Size(target_w, target_h));
        else
          cv::resize(img, out, cv::Size(target_w, target_h), 0, 0, cv::INTER_AREA);
        st.resize_s += seconds_since(t);
      }

      st.checksum += out.data[0] + out.data[out.total() * 3 / 2] + out.data[out.total() * 3 - 1];
      ++st.ok;
    }
    if (tj) tjDestroy(tj);
  }
  RunResult r;
  r.seconds = seconds_since(t0);
  for (const ThreadStats& s : stats) {
    r.total.ok += s.ok;
    r.total.failed += s.failed;
    r.total.scaled += s.scaled;
    r.total.read_s += s.read_s;
    r.total.decode_s += s.decode_s;
    r.total.resize_s += s.resize_s;
    r.total.decoded_mpix += s.decoded_mpix;
    r.total.checksum += s.checksum;
  }
  return r;
}

[[noreturn]] void usage(int code) {
  (code == 0 ? std::cout : std::cerr)
      << "usage: bare_decode [--threads N] [--scale auto|1|2|4|8] [--size WxH] [--resize opencv|area|none]\n"
         "                   [--repeat K] INPUT...\n"
         "  Reads, decodes (TurboJPEG to RGB) and resizes (INTER_AREA) every image,\n"
         "  writes nothing, prints images/s. INPUT: directory, image file or @list.txt.\n"
         "  --threads N   OpenMP threads (default: omp_get_max_threads())\n"
         "  --scale S     1: full-size decode (default); auto: smallest DCT scale 1/2, 1/4, 1/8\n"
         "                that keeps both sides >= the target; 2|4|8: always 1/S\n"
         "  --size WxH    target size (default 224x224)\n"
         "  --resize R    opencv: cv::resize (default); area: imgshard's resampler; none: decode only\n"
         "  --repeat K    run the loop K times, report the median (default 1)\n";
  std::exit(code);
}

}  // namespace

int main(int argc, char** argv) {
  int threads = omp_get_max_threads();
  int scale_denom = 1;  // 0 = auto
  int target_w = 224, target_h = 224;
  int repeat = 1;
  Resize resize = Resize::opencv;
  std::vector<std::string> inputs;

  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "bare_decode: " << a << " needs a value\n";
        usage(1);
      }
      return argv[++i];
    };
    if (a == "-h" || a == "--help") {
      usage(0);
    } else if (a == "--threads" || a == "-t") {
      threads = std::atoi(value().c_str());
    } else if (a == "--scale") {
      const std::string v = value();
      if (v == "auto") scale_denom = 0;
      else if (v == "1" || v == "2" || v == "4" || v == "8") scale_denom = std::atoi(v.c_str());
      else usage(1);
    } else if (a == "--size") {
      const std::string v = value();
      if (std::sscanf(v.c_str(), "%dx%d", &target_w, &target_h) != 2 || target_w < 1 || target_h < 1)
        usage(1);
    } else if (a == "--resize") {
      const std::string v = value();
      if (v == "opencv") resize = Resize::opencv;
      else if (v == "area") resize = Resize::area;
      else if (v == "none") resize = Resize::none;
      else usage(1);
    } else if (a == "--repeat") {
      repeat = std::atoi(value().c_str());
    } else if (a.size() > 1 && a[0] == '-' && a != "-") {
      std::cerr << "bare_decode: unknown option " << a << "\n";
      usage(1);
    } else {
      inputs.emplace_back(a);
    }
  }
  if (inputs.empty() || threads < 1 || repeat < 1) usage(1);

  cv::setNumThreads(1);
  const std::vector<std::string> files = list_inputs(inputs);
  if (files.empty()) {
    std::cerr << "bare_decode: no input image\n";
    return 1;
  }

  std::vector<RunResult> runs;
  for (int r = 0; r < repeat; ++r) {
    runs.push_back(run_once(files, threads, scale_denom, target_w, target_h, resize));
    if (repeat > 1)
      std::fprintf(stderr, "bare_decode: run %d: %.3f s, %.1f images/s\n", r + 1, runs.back().seconds,
                   static_cast<double>(files.size()) / runs.back().seconds);
  }
  std::sort(runs.begin(), runs.end(),
            [](const RunResult& x, const RunResult& y) { return x.seconds < y.seconds; });
  const RunResult& m = runs[runs.size() / 2];
  const double n = static_cast<double>(files.size());
  const std::string scale = scale_denom == 0 ? "auto" : "1/" + std::to_string(scale_denom);
  const char* resize_name = resize == Resize::none ? "none" : resize == Resize::area ? "area" : "opencv";

  std::fprintf(stderr,
               "bare_decode: %zu images (%ld ok, %ld failed, %ld at a reduced scale), %d threads, "
               "scale %s, resize %s: %.3f s, %.1f images/s\n"
               "bare_decode: thread-seconds: read %.3f, decode %.3f, resize %.3f; %.2f MP decoded "
               "per image\n",
               files.size(), m.total.ok, m.total.failed, m.total.scaled, threads, scale.c_str(),
               resize_name, m.seconds, n / m.seconds, m.total.read_s, m.total.decode_s, m.total.resize_s,
               m.total.ok ? m.total.decoded_mpix / static_cast<double>(m.total.ok) : 0.0);
  std::printf(
      "{\"tool\": \"bare_decode\", \"images\": %zu, \"ok\": %ld, \"failed\": %ld, \"scaled\": %ld, "
      "\"threads\": %d, \"scale\": \"%s\", \"resize\": \"%s\", \"width\": %d, \"height\": %d, \"repeat\": %d, "
      "\"seconds\": %.6f, \"images_per_s\": %.3f, \"read_thread_s\": %.6f, "
      "\"decode_thread_s\": %.6f, \"resize_thread_s\": %.6f, \"decoded_mpix\": %.3f, "
      "\"checksum\": %llu}\n",
      files.size(), m.total.ok, m.total.failed, m.total.scaled, threads, scale.c_str(), resize_name, target_w,
      target_h, repeat, m.seconds, n / m.seconds, m.total.read_s, m.total.decode_s,
      m.total.resize_s, m.total.decoded_mpix, static_cast<unsigned long long>(m.total.checksum));
  return m.total.failed == 0 ? 0 : 3;
}
