#include "app/output_layout.hpp"

#include <ctime>

#include "app/version.hpp"

namespace imgshard::app {
namespace {

std::string now_iso8601() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace

store::OutputSpec output_spec(const Options& o, const pipeline::Pipeline& p, const io::Collection& c,
                              const std::string& fingerprint) {
  const auto& shape = p.output_shape();
  const bool chw = shape.layout == kernels::Layout::chw;
  const auto h = std::uint64_t(shape.height), w = std::uint64_t(shape.width), ch = std::uint64_t(shape.channels);
  store::OutputSpec spec;
  spec.count = c.images.size();
  spec.image_dims = chw ? std::vector<std::uint64_t>{ch, h, w} : std::vector<std::uint64_t>{h, w, ch};
  spec.float32 = shape.type == kernels::ElemType::f32;
  spec.gzip_level = o.gzip_level;
  spec.string_attributes = {{"imgshard_version", kVersion},
                            {"pipeline", p.canonical()},
                            {"layout", chw ? "chw" : "nhwc"},
                            {"decode", word(o.decode)},
                            {"created", now_iso8601()},
                            {"schedule", word(o.schedule)},
                            {"fail_on", word(o.fail_on)},
                            {"compress", compress_word(o.gzip_level)},
                            {"labels", c.label_source},
                            {"fingerprint", fingerprint}};
  spec.int_attributes = {{"chunk", o.chunk},
                         {"max_pixels", std::int64_t(o.max_pixels)},
                         {"max_file_bytes", std::int64_t(o.max_file_bytes)}};
  return spec;
}

store::OutputFile create_output(const Options& o, const pipeline::Pipeline& p, const io::Collection& c,
                                const std::string& fingerprint, bool one_node) {
  std::vector<std::string> paths;
  std::vector<std::int32_t> input_index;
  paths.reserve(c.images.size());
  input_index.reserve(c.images.size());
  for (const auto& image : c.images) {
    paths.push_back(image.relative);
    input_index.push_back(image.input);
  }
  std::vector<store::StringColumn> meta;
  for (const auto& column : c.meta) meta.push_back({column.name, &column.values});
  auto spec = output_spec(o, p, c, fingerprint);
  spec.sync_at_creation = !one_node;
  return store::OutputFile::create(o.output, spec, {paths, c.labels, c.label_names, c.inputs, input_index, meta});
}

}  // namespace imgshard::app
