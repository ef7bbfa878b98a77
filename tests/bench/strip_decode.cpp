// strip_decode: does decoding a JPEG into row strips that feed the INTER_AREA resampler
// (libjpeg's scanline API, a strip of one iMCU row in cache, no full-size image) beat
// decoding the whole image first and resizing it then? One thread, files read into memory
// first (no I/O in the timing), the modes interleaved round by round in rotating order so that a
// busy machine slows them alike, per-thread CPU time (time the thread was not scheduled is not counted).
//
//   strip_decode [--size WxH] [--scale 1|auto] [--rounds K] [--strip ROWS] INPUT...
//
// Modes, each over every file:
//   decode  libjpeg decode to RGB, 4 scanlines per call into a full-size image (as
//           imgshard's decoder), nothing else: the floor
//   whole   decode as above, then kernels::resize_area to the target size
//   strips  decode --strip rows at a time into a small buffer, each row pushed into a
//           kernels::AreaResampler as it arrives
// --scale auto decodes at the DCT scale --decode fast picks (smallest 1/2, 1/4, 1/8 that
// keeps both sides >= the target). The first round checks that strips == whole, bit for bit.
// Prints one line per mode (median ms per image over the rounds, CPU and wall) and, last,
// a JSON object.
#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <jpeglib.h>  // after <cstdio>: it needs size_t and FILE
#include <opencv2/core.hpp>

#include "kernels/area_resample.hpp"

namespace fs = std::filesystem;
using imgshard::kernels::AreaResampler;

namespace {

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

double wall_seconds() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

std::vector<std::vector<unsigned char>> read_jpegs(const std::vector<std::string>& inputs) {
  std::vector<std::string> paths;
  for (const std::string& in : inputs) {
    if (fs::is_directory(in)) {
      for (const auto& e : fs::recursive_directory_iterator(in, fs::directory_options::follow_directory_symlink)) {
        std::string ext = e.path().extension().string();
        std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
        if (e.is_regular_file() && (ext == ".jpg" || ext == ".jpeg")) paths.push_back(e.path().string());
      }
    } else {
      paths.push_back(in);
    }
  }
  std::sort(paths.begin(), paths.end());
  std::vector<std::vector<unsigned char>> files;
  for (const std::string& p : paths) {
    std::ifstream f(p, std::ios::binary);
    files.emplace_back((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  }
  return files;
}

struct Jpeg {
  jpeg_decompress_struct info{};
  jpeg_error_mgr errors{};
  Jpeg() {
    info.err = jpeg_std_error(&errors);  // a corrupt file ends the program: a benchmark corpus has none
    jpeg_create_decompress(&info);
  }
  ~Jpeg() { jpeg_destroy_decompress(&info); }

  // Header read, colour space and DCT scale set, decompression started.
  void start(const std::vector<unsigned char>& file, cv::Size target, bool auto_scale) {
    jpeg_mem_src(&info, file.data(), static_cast<unsigned long>(file.size()));
    jpeg_read_header(&info, TRUE);
    info.out_color_space = JCS_EXT_RGB;
    info.scale_num = info.scale_denom = 1;
    if (auto_scale)
      for (unsigned denom : {8u, 4u, 2u})
        if ((info.image_width + denom - 1) / denom >= unsigned(target.width) &&
            (info.image_height + denom - 1) / denom >= unsigned(target.height)) {
          info.scale_denom = denom;
          break;
        }
    jpeg_start_decompress(&info);
  }
  cv::Size size() const { return {int(info.output_width), int(info.output_height)}; }
};

void decode_whole(Jpeg& j, cv::Mat& rgb) {
  rgb.create(j.size(), CV_8UC3);
  while (j.info.output_scanline < j.info.output_height) {
    JSAMPROW rows[4];
    const int line = int(j.info.output_scanline);
    const int count = std::min<int>(4, int(j.info.output_height) - line);
    for (int i = 0; i < count; ++i) rows[i] = rgb.ptr(line + i);
    jpeg_read_scanlines(&j.info, rows, JDIMENSION(count));
  }
  jpeg_finish_decompress(&j.info);
}

void decode_strips(Jpeg& j, cv::Size target, int strip_rows, std::vector<unsigned char>& strip, cv::Mat& out) {
  const cv::Size size = j.size();
  const std::size_t row_bytes = std::size_t(size.width) * 3 + AreaResampler::kRowPadding;
  strip.resize(row_bytes * std::size_t(strip_rows));
  AreaResampler resampler(size, target, CV_8UC3, out);
  std::vector<JSAMPROW> rows(static_cast<std::size_t>(strip_rows));
  for (int i = 0; i < strip_rows; ++i) rows[std::size_t(i)] = strip.data() + row_bytes * std::size_t(i);
  while (j.info.output_scanline < j.info.output_height) {
    const JDIMENSION got = jpeg_read_scanlines(&j.info, rows.data(), JDIMENSION(strip_rows));
    for (JDIMENSION i = 0; i < got; ++i) resampler.push(rows[i]);
  }
  jpeg_finish_decompress(&j.info);
}

}  // namespace

int main(int argc, char** argv) {
  cv::Size target(224, 224);
  bool auto_scale = false;
  int rounds = 5, strip_rows = 16;
  std::vector<std::string> inputs;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&] {
      if (i + 1 >= argc) {
        std::cerr << "strip_decode: " << a << " needs a value\n";
        std::exit(1);
      }
      return std::string(argv[++i]);
    };
    if (a == "--size") {
      if (std::sscanf(value().c_str(), "%dx%d", &target.width, &target.height) != 2) return 1;
    } else if (a == "--scale") {
      auto_scale = value() == "auto";
    } else if (a == "--rounds") {
      rounds = std::max(2, std::atoi(value().c_str()));
    } else if (a == "--strip") {
      strip_rows = std::max(1, std::atoi(value().c_str()));
    } else if (a == "-h" || a == "--help") {
      std::cout << "usage: strip_decode [--size WxH] [--scale 1|auto] [--rounds K] [--strip ROWS] INPUT...\n";
      return 0;
    } else {
      inputs.push_back(a);
    }
  }
  const auto files = read_jpegs(inputs);
  if (files.empty()) {
    std::cerr << "strip_decode: no JPEG\n";
    return 1;
  }
  Jpeg jpeg;
  cv::Mat rgb, whole, strips;
  std::vector<unsigned char> strip;
  const char* names[] = {"decode", "whole", "strips"};
  std::vector<double> cpu[3], wall[3];
  long mismatches = 0, handled = 0;
  for (int r = 0; r < rounds; ++r)
    for (int m = 0; m < 3; ++m) {
      const int mode = (m + r) % 3;  // each mode first, second and third in turn
      const double c0 = cpu_seconds(), w0 = wall_seconds();
      for (std::size_t f = 0; f < files.size(); ++f) {
        jpeg.start(files[f], target, auto_scale);
        const bool ours = imgshard::kernels::area_resampler_handles(jpeg.size(), target, CV_8UC3);
        if (mode == 0) {
          decode_whole(jpeg, rgb);
        } else if (mode == 1 || !ours) {  // strips only where the resampler takes the size
          decode_whole(jpeg, rgb);
          imgshard::kernels::resize_area(rgb, whole, target);
        } else {
          decode_strips(jpeg, target, strip_rows, strip, strips);
          if (r == 0) {  // the same bits as decode-then-resize
            jpeg.start(files[f], target, auto_scale);
            decode_whole(jpeg, rgb);
            imgshard::kernels::resize_area(rgb, whole, target);
            mismatches += cv::norm(strips, whole, cv::NORM_INF) != 0;
            handled += ours;
          }
        }
      }
      if (mode == 2 && r == 0) continue;  // round 0 of strips also decoded twice: not timed
      cpu[mode].push_back((cpu_seconds() - c0) / double(files.size()) * 1e3);
      wall[mode].push_back((wall_seconds() - w0) / double(files.size()) * 1e3);
    }
  const auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
  };
  for (int mode = 0; mode < 3; ++mode)
    std::fprintf(stderr, "strip_decode: %-6s %.3f ms/image CPU, %.3f wall (median of %zu rounds, %zu images)\n",
                 names[mode], median(cpu[mode]), median(wall[mode]), cpu[mode].size(), files.size());
  std::fprintf(stderr, "strip_decode: strips == whole on %ld of %ld images the resampler takes\n", handled - mismatches,
               handled);
  std::printf("{\"tool\": \"strip_decode\", \"images\": %zu, \"scale\": \"%s\", \"strip_rows\": %d, "
              "\"decode_ms\": %.4f, \"whole_ms\": %.4f, \"strips_ms\": %.4f, \"mismatches\": %ld}\n",
              files.size(), auto_scale ? "auto" : "1", strip_rows, median(cpu[0]), median(cpu[1]), median(cpu[2]),
              mismatches);
  return mismatches == 0 ? 0 : 3;
}
