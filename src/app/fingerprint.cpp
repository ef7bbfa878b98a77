#include "app/fingerprint.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace imgshard::app {

void Fingerprint::add(std::string_view text) {
  for (unsigned char c : text) {
    hash_ ^= c;
    hash_ *= 1099511628211ull;
  }
  hash_ ^= 0xff;  // separator: "ab","c" differs from "a","bc"
  hash_ *= 1099511628211ull;
}

std::string Fingerprint::hex() const { return fmt::format("{:016x}", hash_); }

// Paths (and their order) stand for folders, files and lists, as in earlier versions, so
// their files still resume; a run with a CSV manifest or an archive adds what only those
// carry: every CSV cell (labels, metadata), each member's locator (a changed archive moves
// members or changes their CRCs) and the inputs themselves.
std::string run_fingerprint(const Options& o, const pipeline::Pipeline& p, const io::Collection& c) {
  Fingerprint f;
  f.add(p.canonical());
  f.add(word(o.decode));
  f.add(word(o.fail_on));
  f.add(std::to_string(o.max_pixels));
  // Only a limit other than the default enters, so files of earlier versions still resume.
  if (o.max_file_bytes != io::kDefaultMaxFileBytes) f.add("max_file_bytes=" + std::to_string(o.max_file_bytes));
  f.add(c.label_source);  // "dirname" or "none" as in earlier versions; "csv" is new
  f.add(std::to_string(o.gzip_level));
  for (const auto& image : c.images) {
    f.add(image.path);
    f.add(image.relative);
  }
  const bool datasets = std::any_of(c.inputs.begin(), c.inputs.end(), [](const std::string& input) {
    return io::is_manifest_input(input) || io::archive_type(input) != io::ArchiveType::none;
  });
  if (!datasets) return f.hex();
  for (const auto& input : c.inputs) f.add(input);
  for (const auto& image : c.images) {
    const auto& m = image.member;
    f.add(fmt::format("{} {} {} {} {} {}", image.input, int(m.kind), m.crc32, m.offset, m.stored_size, m.size));
  }
  for (auto label : c.labels) f.add(std::to_string(label));
  for (const auto& name : c.label_names) f.add(name);
  for (const auto& column : c.meta) {
    f.add(column.name);
    for (const auto& value : column.values) f.add(value);
  }
  return f.hex();
}

}  // namespace imgshard::app
