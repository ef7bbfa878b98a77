#pragma once
// INTER_AREA downscaling of our own, equal bit for bit to cv::resize(..., INTER_AREA) of
// OpenCV 4.6, and several times faster on its slow path (non-integer ratios).
//
// OpenCV routes INTER_AREA by the scale 1 / (dst / src) of each axis: equal sizes copy, an
// upscale on either axis runs a bilinear variant, two integer scales run a vectorised
// integer path; everything else runs a generic, mostly scalar loop over a table of
// (source index, output index, weight). That last case is ours: the same weights, computed
// the same way in double and cast to float, and the same float arithmetic for every output
// value (products rounded, sums in ascending source order, no FMA), in a separable pass
// that is vectorised across pixels, never across the terms of one sum. Everything else
// stays with cv::resize.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "kernels/kernel.hpp"

namespace imgshard::kernels {

// True when resize_area() runs our resampler for this case (uint8 or float32, 1 to 4
// channels, a downscale by a non-integer ratio on at least one axis and no upscale), false
// when it hands the call to cv::resize.
bool area_resampler_handles(cv::Size src, cv::Size dst, int type);

// dst = cv::resize(src, size, 0, 0, INTER_AREA), always. `dst` may be a region of a larger
// Mat of that size and type (it is then written in place, as cv::resize does).
void resize_area(const cv::Mat& src, cv::Mat& dst, cv::Size size);

// The same resampler fed one source row at a time, top to bottom: output rows are written
// as soon as the source rows they need have arrived, so that a decoder can hand over rows
// as it produces them (no full-size image in memory). Only for cases that
// area_resampler_handles() accepts.
class AreaResampler {
 public:
  // `dst` is (re)allocated to `dst_size` unless it already has that size and type.
  AreaResampler(cv::Size src_size, cv::Size dst_size, int type, cv::Mat& dst);
  ~AreaResampler();
  AreaResampler(const AreaResampler&) = delete;
  AreaResampler& operator=(const AreaResampler&) = delete;

  // Row `rows_pushed()` of the source: width * channels values of the type. The 16 bytes
  // after the row's last value must be readable (they are read and never used): a row of a
  // larger buffer, or a buffer padded by kRowPadding.
  void push(const void* row);
  int rows_pushed() const;
  bool done() const;  // every output row has been written

  static constexpr int kRowPadding = RowStream::kRowPadding;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The instruction sets the resampler can use on this CPU, best first (e.g. "AVX-512",
// "AVX2", "SSE4", "SSSE3", "scalar"), and the one it uses (the best, by default). For tests
// and benchmarks: use another one (every set gives the same results); "" for the best.
std::vector<std::string> area_resampler_isas();
std::string area_resampler_isa();
void area_resampler_use_isa(const std::string& name);

}  // namespace imgshard::kernels
