#pragma once
// A pipeline spec in ffmpeg filter-chain style, parsed against the kernel declarations:
//   steps joined by ',', a step is `name` or `name=args`, args positional or key=value, joined by ':'
//   e.g. resize=224:224:mode=crop,gray,gauss=sigma=1.5,sobel
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/kernel.hpp"

namespace imgshard::pipeline {

using kernels::ImageShape;
using kernels::KernelError;

struct Step {
  const kernels::KernelSpec* spec = nullptr;
  kernels::ArgValues args;
  std::unique_ptr<kernels::Kernel> kernel;
  std::string canonical;  // name=key=value:key=value, every argument spelled out
};

class Pipeline {
 public:
  // Throws KernelError with a one-line message for unknown kernels, bad arguments, and
  // pipelines whose output size is not fixed.
  static Pipeline parse(std::string_view spec);

  const std::string& canonical() const { return canonical_; }
  const ImageShape& output_shape() const { return output_; }
  const std::vector<Step>& steps() const { return steps_; }

  // The shrink-on-load limit of the first step (see Kernel::min_source_size).
  cv::Size min_source_size(cv::Size source) const;

  // Runs every step on one RGB image. `scratch` is reused between calls; the result is left
  // in `out` (continuous). Throws KernelError when a step cannot take this image.
  void run(const cv::Mat& rgb, cv::Mat& out, cv::Mat& scratch) const;

  // For a decoder that hands over rows: the first step fed row by row (see Kernel::stream),
  // its output left in `first` once finished, or nullptr when it needs the whole image.
  std::unique_ptr<kernels::RowStream> stream_first(cv::Size source, cv::Mat& first) const;
  // The steps after the first, on the first step's output: with stream_first, the same
  // result as run() on the whole image.
  void run_after_first(const cv::Mat& first, cv::Mat& out, cv::Mat& scratch) const;

 private:
  void run_from(std::size_t first_step, const cv::Mat& in, cv::Mat& out, cv::Mat& scratch) const;

  std::vector<Step> steps_;
  std::string canonical_;
  ImageShape output_;
};

}  // namespace imgshard::pipeline
