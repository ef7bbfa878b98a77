// The kernels' arguments through the real parser: every kernel's messages for a value out of
// range, of the wrong type, and an unknown key; and the shape rules that refuse a pipeline
// before any work.
#include <set>

#include <gtest/gtest.h>

#include "cases.hpp"
#include "kernels/registry.hpp"

namespace imgshard::kernels::testing {
namespace {

using pipeline::Pipeline;

std::string error_of(const std::string& spec) {
  try {
    Pipeline::parse(spec);
  } catch (const KernelError& e) {
    return e.what();
  }
  return "(no error)";
}

struct BadArgument {
  std::string spec;
  std::string message;
};

// Per kernel: out of range, wrong type, unknown key (the kernel is last after a fixing resize,
// or first when it fixes the size itself).
const std::vector<BadArgument> kBadArguments = {
    {"resize=0:8", "resize: width must be between 1 and 65535, got '0'"},
    {"resize=8:8:interp=bicubic", "resize: interp must be one of area, linear, cubic, nearest, lanczos, got 'bicubic'"},
    {"resize=8:8:size=3", "resize: unknown argument 'size' (takes: width, height, mode, interp, fill)"},
    {"shorter=0,crop=8:8", "shorter: size must be between 1 and 65535, got '0'"},
    {"shorter=1.5,crop=8:8", "shorter: size must be a whole number, got '1.5'"},
    {"shorter=side=8,crop=8:8", "shorter: unknown argument 'side' (takes: size, interp)"},
    {"crop=0:8", "crop: width must be between 1 and 65535, got '0'"},
    {"crop=8:8:x=left", "crop: x must be a whole number or center, got 'left'"},
    {"crop=-1:0:8:8", "crop: x must be between 0 and 65535, got '-1'"},
    {"crop=8:8:w=3", "crop: unknown argument 'w' (takes: width, height, x, y)"},
    {"resize=8:8,flip=x", "flip: axis must be one of h, v, hv, got 'x'"},
    {"resize=8:8,flip=dir=h", "flip: unknown argument 'dir' (takes: axis)"},
    {"resize=8:8,rotate=45", "rotate: angle must be one of 90, 180, 270, got '45'"},
    {"resize=8:8,rotate", "rotate: missing required argument angle"},
    {"resize=8:8,gray=1", "gray: too many arguments (takes 0)"},
    {"resize=8:8,gray=mode=bt709", "gray: unknown argument 'mode' (takes: none)"},
    {"resize=8:8,gauss=sigma=-1", "gauss: sigma must be > 0 and <= 100, got '-1'"},
    {"resize=8:8,gauss=sigma=wide", "gauss: sigma must be a number, got 'wide'"},
    {"resize=8:8,gauss=1:ksize=4", "gauss: ksize must be odd or 0, got '4'"},
    {"resize=8:8,gauss=1:k=3", "gauss: unknown argument 'k' (takes: sigma, ksize)"},
    {"resize=8:8,gauss", "gauss: missing required argument sigma"},
    {"resize=8:8,box=0", "box: ksize must be between 1 and 255, got '0'"},
    {"resize=8:8,box=3x3", "box: ksize must be a whole number, got '3x3'"},
    {"resize=8:8,box=size=3", "box: unknown argument 'size' (takes: ksize)"},
    {"resize=8:8,median=4", "median: ksize must be odd, got '4'"},
    {"resize=8:8,median=300", "median: ksize must be between 1 and 255, got '300'"},
    {"resize=8:8,median=2.5", "median: ksize must be a whole number, got '2.5'"},
    {"resize=8:8,median=k=3", "median: unknown argument 'k' (takes: ksize)"},
    {"resize=8:8,sharpen=amount=-1", "sharpen: amount must be between 0 and 100, got '-1'"},
    {"resize=8:8,sharpen=sigma=0", "sharpen: sigma must be > 0 and <= 100, got '0'"},
    {"resize=8:8,sharpen=amount=lots", "sharpen: amount must be a number, got 'lots'"},
    {"resize=8:8,sharpen=radius=2", "sharpen: unknown argument 'radius' (takes: amount, sigma)"},
    {"resize=8:8,sobel=3", "sobel: too many arguments (takes 0)"},
    {"resize=8:8,sobel=ksize=3", "sobel: unknown argument 'ksize' (takes: none)"},
    {"resize=8:8,scharr=dx=1", "scharr: unknown argument 'dx' (takes: none)"},
    {"resize=8:8,laplacian=ksize=3", "laplacian: unknown argument 'ksize' (takes: none)"},
    {"resize=8:8,canny=-5:10", "canny: low must be between 0 and 10000, got '-5'"},
    {"resize=8:8,canny=50:high", "canny: high must be a number, got 'high'"},
    {"resize=8:8,canny=lo=50", "canny: unknown argument 'lo' (takes: low, high)"},
    {"resize=8:8,threshold=256", "threshold: value must be between 0 and 255, got '256'"},
    {"resize=8:8,threshold=mean", "threshold: value must be a whole number or otsu, got 'mean'"},
    {"resize=8:8,threshold=t=9", "threshold: unknown argument 't' (takes: value)"},
    {"resize=8:8,equalize=1", "equalize: too many arguments (takes 0)"},
    {"resize=8:8,equalize=per=channel", "equalize: unknown argument 'per' (takes: none)"},
    {"resize=8:8,clahe=clip=0", "clahe: clip must be > 0 and <= 1000, got '0'"},
    {"resize=8:8,clahe=tiles=many", "clahe: tiles must be a whole number, got 'many'"},
    {"resize=8:8,clahe=grid=8", "clahe: unknown argument 'grid' (takes: clip, tiles)"},
    {"resize=8:8,invert=1", "invert: too many arguments (takes 0)"},
    {"resize=8:8,invert=max=255", "invert: unknown argument 'max' (takes: none)"},
    {"resize=8:8,brightness=beta=300", "brightness: beta must be between -255 and 255, got '300'"},
    {"resize=8:8,brightness=alpha=x", "brightness: alpha must be a number, got 'x'"},
    {"resize=8:8,brightness=gain=2", "brightness: unknown argument 'gain' (takes: alpha, beta)"},
    {"resize=8:8,gamma=0", "gamma: gamma must be > 0 and <= 100, got '0'"},
    {"resize=8:8,gamma=g", "gamma: gamma must be a number, got 'g'"},
    {"resize=8:8,gamma=g=2", "gamma: unknown argument 'g' (takes: gamma)"},
    {"resize=8:8,normalize=std=0.2/0/0.2", "normalize: std must be numbers each > 0 and <= 1000, got '0.2/0/0.2'"},
    {"resize=8:8,normalize=mean=0.5,0.5", "pipeline: unknown kernel '0.5' (see --list-kernels)"},
    {"resize=8:8,normalize=mean=0.5/x", "normalize: mean must be numbers joined by '/', got '0.5/x'"},
    {"resize=8:8,normalize=scale=255", "normalize: unknown argument 'scale' (takes: mean, std)"},
    {"resize=8:8,layout=nchw", "layout: order must be one of chw, hwc, got 'nchw'"},
    {"resize=8:8,layout=order=chw:planar=1", "layout: unknown argument 'planar' (takes: order)"},
};

class KernelArgumentMessage : public ::testing::TestWithParam<BadArgument> {};

TEST_P(KernelArgumentMessage, SaysWhatIsWrong) { EXPECT_EQ(error_of(GetParam().spec), GetParam().message); }

INSTANTIATE_TEST_SUITE_P(Kernels, KernelArgumentMessage, ::testing::ValuesIn(kBadArguments),
                         [](const auto& info) {
                           return std::to_string(info.index) + "_" + test_name(info.param.spec);
                         });

TEST(KernelArgumentMessage, EveryKernelHasItsBadArgumentsTested) {
  for (const KernelSpec* k : all_kernels()) {
    int count = 0;
    for (const auto& bad : kBadArguments) count += bad.message.rfind(k->name + ":", 0) == 0;
    EXPECT_GE(count, 1) << k->name;
    if (!k->args.empty()) {
      EXPECT_GE(count, 2) << k->name << ": test a bad value and an unknown key";
    }
  }
}

// crop=W:H reads in declaration order, crop=x:y:W:H in ffmpeg's order (KernelSpec::positional_forms).
TEST(CropArguments, TwoAndFourPositionalFormsBothParse) {
  EXPECT_EQ(Pipeline::parse("crop=224:200").canonical(), "crop=width=224:height=200:x=center:y=center");
  EXPECT_EQ(Pipeline::parse("crop=10:20:224:200").canonical(), "crop=width=224:height=200:x=10:y=20");
  EXPECT_EQ(Pipeline::parse("crop=10:20:224:200").output_shape().width, 224);
  EXPECT_EQ(Pipeline::parse("crop=224:200:y=5").canonical(), "crop=width=224:height=200:x=center:y=5");
  EXPECT_EQ(Pipeline::parse("crop=224:200:x=3").canonical(), "crop=width=224:height=200:x=3:y=center");
  const Pipeline p = Pipeline::parse("crop=10:20:224:200");
  EXPECT_EQ(Pipeline::parse(p.canonical()).canonical(), p.canonical());
  EXPECT_EQ(error_of("crop=1:2:3:4:5"), "crop: too many arguments (takes 4)");
}

TEST(ShapeInference, SizeThatVariesNeedsAFixingStep) {
  EXPECT_EQ(error_of("gray"), "pipeline: 'gray' does not give every image one fixed size: add a resize or crop step");
  EXPECT_EQ(error_of("shorter=256"),
            "pipeline: 'shorter=256' does not give every image one fixed size: add a resize or crop step");
  EXPECT_EQ(error_of("resize=300:200,shorter=256,gauss=1").find("does not give"), std::string::npos);
  const auto shape = Pipeline::parse("shorter=256,crop=224:224").output_shape();
  EXPECT_EQ(shape.width, 224);
  EXPECT_EQ(shape.height, 224);
  EXPECT_EQ(shape.channels, 3);
}

TEST(ShapeInference, EachStepDeclaresSizeChannelsAndType) {
  const auto rotated = Pipeline::parse("resize=64:48,rotate=90").output_shape();
  EXPECT_EQ(rotated.width, 48);
  EXPECT_EQ(rotated.height, 64);
  const auto shorter = Pipeline::parse("resize=300:200,shorter=100").output_shape();
  EXPECT_EQ(shorter.width, 150);
  EXPECT_EQ(shorter.height, 100);
  const auto edges = Pipeline::parse("resize=32:32,gray,gauss=1,sobel").output_shape();
  EXPECT_EQ(edges.channels, 1);
  EXPECT_EQ(edges.type, ElemType::u8);
  const auto tensor = Pipeline::parse("resize=256:256:mode=crop,crop=224:224,normalize,layout=chw").output_shape();
  EXPECT_EQ(tensor.type, ElemType::f32);
  EXPECT_EQ(tensor.layout, Layout::chw);
  EXPECT_EQ(tensor.channels, 3);
  EXPECT_EQ(tensor.bytes(), 224u * 224 * 3 * 4);
  const auto grey_tensor = Pipeline::parse("resize=8:8,gray,normalize=mean=0.5:std=0.25").output_shape();
  EXPECT_EQ(grey_tensor.channels, 1);
  EXPECT_EQ(grey_tensor.type, ElemType::f32);
}

TEST(ShapeInference, CropLargerThanAFixedSizeIsRefusedBeforeAnyWork) {
  EXPECT_EQ(error_of("resize=32:32,crop=64:16"), "crop: 64x16 at (center, center) does not fit in a 32x32 image");
  EXPECT_EQ(error_of("resize=32:32,crop=20:0:16:16"), "crop: 16x16 at (20, 0) does not fit in a 32x32 image");
}

TEST(ShapeInference, NormalizeValuesMustMatchTheChannels) {
  EXPECT_EQ(error_of("resize=8:8,gray,normalize"),
            "normalize: mean has 3 values but the image has 1 channel: give 1 value (or one for all)");
  EXPECT_EQ(error_of("resize=8:8,normalize=mean=0.5/0.5:std=0.2"),
            "normalize: mean has 2 values but the image has 3 channels: give 3 values (or one for all)");
}

TEST(ShapeInference, Uint8KernelsRefuseTheFloatsOfNormalize) {
  const std::set<std::string> takes_float = {"resize", "shorter", "crop",    "flip",  "rotate",
                                             "gauss",  "box",     "sharpen", "layout"};
  for (const auto& c : kernel_cases()) {
    const std::string name = c.step.substr(0, c.step.find('='));
    const std::string spec = "resize=300:300,normalize," + c.step + (name == "layout" ? "" : ",resize=8:8");
    if (takes_float.count(name)) {
      EXPECT_EQ(error_of(spec), "(no error)") << c.step;
      EXPECT_EQ(Pipeline::parse(spec).output_shape().type, ElemType::f32) << c.step;
    } else {
      EXPECT_EQ(error_of(spec),
                name + ": needs uint8 input, but follows normalize (float32): put normalize after it");
    }
  }
}

TEST(ShapeInference, NothingMayFollowLayout) {
  for (const auto& c : kernel_cases()) {
    const std::string name = c.step.substr(0, c.step.find('='));
    EXPECT_EQ(error_of("resize=300:300,layout=chw," + c.step),
              name + ": cannot follow layout=chw (layout must be the last step)");
  }
}

}  // namespace
}  // namespace imgshard::kernels::testing
