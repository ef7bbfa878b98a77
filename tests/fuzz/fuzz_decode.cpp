// libFuzzer target: arbitrary bytes through the decoder and a pipeline, as a rank does with
// every file it reads. Any crash, hang, leak or sanitizer report is a bug.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include <opencv2/core/utility.hpp>

#include "io/decode.hpp"
#include "pipeline/pipeline.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool once = [] {
    cv::setNumThreads(1);
    return true;
  }();
  (void)once;
  static const auto pipeline = imgshard::pipeline::Pipeline::parse("resize=24:24:mode=crop,gauss=sigma=1");
  static imgshard::io::Decoder decoder;
  // Small enough that the fuzzer's memory limit never trips on a legitimately huge image.
  imgshard::io::DecodeOptions options{.max_pixels = 4'000'000, .fail_on = imgshard::io::FailOn::error,
                                      .shrink_on_load = (size & 1) != 0};
  const imgshard::io::ShrinkLimit shrink = [](cv::Size s) { return pipeline.min_source_size(s); };
  imgshard::io::DecodedImage image;
  std::string error;
  const auto status = decoder.decode(std::span(data, size), options, &shrink, image, error);
  if (status == imgshard::io::ImageStatus::ok) {
    cv::Mat out, scratch;
    try {
      pipeline.run(image.rgb, out, scratch);
    } catch (const imgshard::kernels::KernelError&) {
    }
  }
  return 0;
}
