// Parsing a pipeline spec against the kernel declarations, and the messages users see.
#include <gtest/gtest.h>

#include "pipeline/pipeline.hpp"

using imgshard::pipeline::Pipeline;
using imgshard::kernels::KernelError;

namespace {

std::string error_of(const std::string& spec) {
  try {
    Pipeline::parse(spec);
  } catch (const KernelError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(PipelineSpec, PositionalArgumentsFollowDeclarationOrder) {
  const Pipeline p = Pipeline::parse("resize=224:112");
  EXPECT_EQ(p.canonical(), "resize=width=224:height=112:mode=stretch:interp=area:fill=0");
  EXPECT_EQ(p.output_shape().width, 224);
  EXPECT_EQ(p.output_shape().height, 112);
  EXPECT_EQ(p.output_shape().channels, 3);
}

TEST(PipelineSpec, KeywordArgumentsInAnyOrder) {
  EXPECT_EQ(Pipeline::parse("resize=interp=linear:height=10:width=20").canonical(),
            "resize=width=20:height=10:mode=stretch:interp=linear:fill=0");
  EXPECT_EQ(Pipeline::parse("resize=20:10:mode=crop").canonical(),
            "resize=width=20:height=10:mode=crop:interp=area:fill=0");
}

TEST(PipelineSpec, CanonicalFormParsesToItself) {
  const Pipeline p = Pipeline::parse("resize=64:48:mode=pad:fill=7");
  EXPECT_EQ(Pipeline::parse(p.canonical()).canonical(), p.canonical());
}

TEST(PipelineSpec, UnknownKernelNamesTheKernel) {
  EXPECT_EQ(error_of("resize=8:8,blurr"), "pipeline: unknown kernel 'blurr' (see --list-kernels)");
}

TEST(PipelineSpec, OutOfRangeArgumentSaysTheRange) {
  EXPECT_EQ(error_of("resize=0:8"), "resize: width must be between 1 and 65535, got '0'");
  EXPECT_EQ(error_of("resize=8:8:fill=300"), "resize: fill must be between 0 and 255, got '300'");
}

TEST(PipelineSpec, WrongTypeAndBadChoice) {
  EXPECT_EQ(error_of("resize=abc:8"), "resize: width must be a whole number, got 'abc'");
  EXPECT_EQ(error_of("resize=8:8:mode=zoom"), "resize: mode must be one of stretch, crop, pad, got 'zoom'");
}

TEST(PipelineSpec, UnknownKeyListsTheArguments) {
  EXPECT_EQ(error_of("resize=8:8:size=3"),
            "resize: unknown argument 'size' (takes: width, height, mode, interp, fill)");
}

TEST(PipelineSpec, ArgumentStructureErrors) {
  EXPECT_EQ(error_of("resize=8"), "resize: missing required argument height");
  EXPECT_EQ(error_of("resize=8:8:crop:area:0:1"), "resize: too many arguments (takes 5)");
  EXPECT_EQ(error_of("resize=8:height=8:8"), "resize: positional argument '8' after key=value ones");
  EXPECT_EQ(error_of("resize=8:8:width=9"), "resize: width given twice");
  EXPECT_EQ(error_of("resize=8:8,,resize=4:4"), "pipeline: empty step in ''");
  EXPECT_EQ(error_of(""), "pipeline: empty (e.g. -p resize=224:224)");
}

TEST(PipelineSpec, ShrinkLimitOfStretchIsTheTarget) {
  const Pipeline p = Pipeline::parse("resize=100:50");
  EXPECT_EQ(p.min_source_size({1000, 1000}), cv::Size(100, 50));
}

TEST(PipelineSpec, ShrinkLimitOfCropKeepsTheScaledSize) {
  const Pipeline p = Pipeline::parse("resize=100:100:mode=crop");
  EXPECT_EQ(p.min_source_size({1000, 500}), cv::Size(200, 100));
}

TEST(PipelineSpec, RunGivesTheDeclaredShape) {
  const Pipeline p = Pipeline::parse("resize=31:17:mode=pad");
  cv::Mat in(40, 90, CV_8UC3, cv::Scalar(10, 20, 30)), out, scratch;
  p.run(in, out, scratch);
  EXPECT_EQ(out.rows, 17);
  EXPECT_EQ(out.cols, 31);
  EXPECT_EQ(out.channels(), 3);
  EXPECT_TRUE(out.isContinuous());
}

TEST(PipelineSpec, SubnormalNumbersAreNumbersLikeAnyOther) {
  // 1e-310 passes the "> 0" checks; std::stod throws out_of_range on it, which ended every
  // rank in std::terminate. Each spec builds and runs.
  for (const char* step : {"gauss=sigma=1e-310", "gamma=1e-310", "brightness=alpha=4e-320",
                           "normalize=mean=0/0/0:std=1e-310/1/1", "sharpen=sigma=1e-310"}) {
    SCOPED_TRACE(step);
    const Pipeline p = Pipeline::parse(std::string("resize=8:8,") + step);
    cv::Mat in(8, 8, CV_8UC3, cv::Scalar(10, 20, 30)), out, scratch;
    p.run(in, out, scratch);
    EXPECT_EQ(out.rows, 8);
  }
}
