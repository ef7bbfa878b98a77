// Rank 0's preparations: the output's layout, the run's fingerprint, the test stall hooks.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>

#include <unistd.h>

#include "app/exit_codes.hpp"
#include "app/fingerprint.hpp"
#include "app/options.hpp"
#include "app/output_layout.hpp"
#include "app/signals.hpp"
#include "app/test_hooks.hpp"

using namespace imgshard;

namespace {

io::Collection two_images() {
  io::Collection c;
  c.images = {{"/data/cat/a.jpg", "cat/a.jpg", {}, 0}, {"/data/dog/b.jpg", "dog/b.jpg", {}, 0}};
  c.labels = {0, 1};
  c.label_names = {"cat", "dog"};
  c.inputs = {"/data"};
  c.label_source = "dirname";
  return c;
}

// parse_options over `args` (after the program name and a fixed input and output).
int parse(std::vector<std::string> args, app::Options& o) {
  args.insert(args.begin(), {"imgshard", "in/", "-o", "out.h5"});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return app::parse_options(int(argv.size()), argv.data(), o, false);
}

std::string attribute(const store::OutputSpec& spec, const std::string& name) {
  for (const auto& [key, value] : spec.string_attributes)
    if (key == name) return value;
  return "(none)";
}

}  // namespace

TEST(OutputSpec, ImageDimsFollowTheLayoutAndTypeThePipeline) {
  const app::Options o;
  const auto c = two_images();
  const auto hwc = app::output_spec(o, pipeline::Pipeline::parse("resize=6:4"), c, "f1");
  EXPECT_EQ(hwc.count, 2u);
  EXPECT_EQ(hwc.image_dims, (std::vector<std::uint64_t>{4, 6, 3}));
  EXPECT_FALSE(hwc.float32);
  EXPECT_EQ(attribute(hwc, "layout"), "nhwc");
  EXPECT_EQ(attribute(hwc, "fingerprint"), "f1");
  EXPECT_EQ(attribute(hwc, "labels"), "dirname");

  const auto chw = app::output_spec(o, pipeline::Pipeline::parse("resize=6:4,normalize,layout=chw"), c, "f1");
  EXPECT_EQ(chw.image_dims, (std::vector<std::uint64_t>{3, 4, 6}));
  EXPECT_TRUE(chw.float32);
  EXPECT_EQ(attribute(chw, "layout"), "chw");
}

TEST(Options, ChoicesMapToTheirValuesAndTheFileRecordsTheWordsGiven) {
  app::Options o;
  ASSERT_EQ(parse({"--decode", "fast", "--schedule", "static", "--compress", "gzip=6", "--fail-on", "error"}, o),
            app::kContinue);
  EXPECT_EQ(o.decode, app::Decode::fast);
  EXPECT_TRUE(o.decode_options().shrink_on_load);
  EXPECT_EQ(o.schedule, app::Schedule::static_);
  EXPECT_EQ(o.gzip_level, 6);
  EXPECT_EQ(o.fail_on, io::FailOn::error);
  const auto spec = app::output_spec(o, pipeline::Pipeline::parse("resize=6:4"), two_images(), "f");
  EXPECT_EQ(attribute(spec, "decode"), "fast");
  EXPECT_EQ(attribute(spec, "schedule"), "static");
  EXPECT_EQ(attribute(spec, "compress"), "gzip=6");
  EXPECT_EQ(attribute(spec, "fail_on"), "error");
  EXPECT_EQ(spec.gzip_level, 6);

  app::Options d;  // the defaults, and "gzip" alone is level 4
  ASSERT_EQ(parse({"--compress", "gzip"}, d), app::kContinue);
  EXPECT_EQ(d.decode, app::Decode::exact);
  EXPECT_EQ(d.schedule, app::Schedule::dynamic);
  EXPECT_EQ(d.gzip_level, 4);
  EXPECT_EQ(app::compress_word(-1), "none");
  EXPECT_EQ(app::compress_word(4), "gzip");
  EXPECT_EQ(app::compress_word(0), "gzip=0");

  for (const auto& bad : std::vector<std::vector<std::string>>{
           {"--decode", "slow"}, {"--schedule", "guided"}, {"--compress", "gzip=10"}, {"--compress", "lz4"}}) {
    app::Options x;
    EXPECT_EQ(parse(bad, x), app::kExitUsage) << bad[0] << " " << bad[1];
  }
}

TEST(RunFingerprint, SameRunSameFingerprintAndWhatChangesPixelsChangesIt) {
  app::Options o;
  const auto p = pipeline::Pipeline::parse("resize=6:4");
  const auto c = two_images();
  const std::string f = app::run_fingerprint(o, p, c);
  EXPECT_EQ(app::run_fingerprint(o, p, c), f);
  EXPECT_NE(app::run_fingerprint(o, pipeline::Pipeline::parse("resize=4:4"), c), f);
  auto other = c;
  std::swap(other.images[0], other.images[1]);  // the order is the rows'
  EXPECT_NE(app::run_fingerprint(o, p, other), f);
  o.decode = app::Decode::fast;
  EXPECT_NE(app::run_fingerprint(o, p, c), f);
  o = {};
  o.max_file_bytes = io::kDefaultMaxFileBytes + 1;
  EXPECT_NE(app::run_fingerprint(o, p, c), f);
}

TEST(StallPoint, OnlyTheRunThatCreatesTheOnceFileStalls) {
  const auto once = std::filesystem::temp_directory_path() / ("imgshard-stall-" + std::to_string(::getpid()));
  std::filesystem::remove(once);
  ::setenv("IMGSHARD_TEST_STALL", "unit:2", 1);
  ::setenv("IMGSHARD_TEST_STALL_ONCE", once.c_str(), 1);
  EXPECT_TRUE(app::stall_wanted("unit:2"));
  EXPECT_FALSE(app::stall_wanted("unit:1"));
  app::install_stop_handlers();
  std::raise(SIGUSR1);  // a stop already asked for: the stall says where it is and returns
  testing::internal::CaptureStderr();
  app::stall_point("unit:1");
  app::stall_point("unit:2");  // creates the file: stalls
  app::stall_point("unit:2");  // the file is there: a requeued run goes on
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "imgshard: test stall at unit:2\n");
  EXPECT_TRUE(std::filesystem::exists(once));
  std::filesystem::remove(once);
}
