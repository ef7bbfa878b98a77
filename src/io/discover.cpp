#include "io/discover.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <system_error>

#include <fmt/format.h>
#include <sys/stat.h>

namespace imgshard::io {
namespace fs = std::filesystem;

bool has_image_extension(std::string_view filename) {
  static constexpr std::string_view kExtensions[] = {"jpg", "jpeg", "png", "webp", "tif", "tiff", "bmp", "pgm", "ppm"};
  const auto dot = filename.rfind('.');
  if (dot == std::string_view::npos) return false;
  std::string ext(filename.substr(dot + 1));
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return std::find(std::begin(kExtensions), std::end(kExtensions), ext) != std::end(kExtensions);
}

namespace {

struct DirId {
  dev_t dev;
  ino_t ino;
  auto operator<=>(const DirId&) const = default;
};

// Walks `dir` (relative part `rel`), following links; `open` holds the directories on the
// current path so that a link back up is walked once, not forever. A folder that cannot be
// listed goes to `errors` (the INPUT itself, at depth 0, is the caller's error instead).
void walk(const fs::path& dir, const std::string& rel, std::set<DirId>& open, std::vector<SourceImage>& found,
          std::vector<std::string>& errors) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return;
  const DirId id{st.st_dev, st.st_ino};
  if (!open.insert(id).second) return;
  const auto report = [&](const std::error_code& ec) {
    if (rel.empty()) throw DiscoveryError(fmt::format("cannot list directory {}: {}", dir.string(), ec.message()));
    errors.push_back(fmt::format("{}: cannot list directory: {}", dir.string(), ec.message()));
  };
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    report(ec);
    open.erase(id);
    return;
  }
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const auto& entry = *it;
    const std::string name = entry.path().filename().string();
    const std::string child_rel = rel.empty() ? name : rel + "/" + name;
    std::error_code is_dir_ec;
    if (entry.is_directory(is_dir_ec)) {  // follows links
      walk(entry.path(), child_rel, open, found, errors);
    } else if (has_image_extension(name)) {  // dangling links included: they get a status
      found.push_back({entry.path().string(), child_rel});
    }
  }
  if (ec) report(ec);  // listing broke off half-way: what was listed is kept
  open.erase(id);
}

void add_list(const std::string& list_path, std::vector<SourceImage>& out) {
  std::ifstream in(list_path);
  if (!in) throw DiscoveryError(fmt::format("cannot read list {}", list_path));
  const fs::path base = fs::path(list_path).parent_path();
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const fs::path p(line);
    out.push_back({(p.is_absolute() || base.empty() ? p : base / p).string(), line});
  }
}

std::string label_of(const std::string& path) {
  std::error_code ec;
  fs::path abs = fs::absolute(path, ec).lexically_normal();
  return abs.parent_path().filename().string();
}

}  // namespace

Collection discover(const std::vector<std::string>& inputs, LabelMode labels) {
  Collection c;
  for (const std::string& input : inputs) {
    if (input.starts_with('@')) {
      add_list(input.substr(1), c.images);
      continue;
    }
    std::error_code ec;
    const auto status = fs::status(input, ec);
    if (ec || !fs::exists(status)) throw DiscoveryError(fmt::format("input {}: no such file or directory", input));
    if (fs::is_directory(status)) {
      std::vector<SourceImage> found;
      std::set<DirId> open;
      walk(input, "", open, found, c.input_errors);
      std::sort(found.begin(), found.end(), [](const SourceImage& a, const SourceImage& b) { return a.relative < b.relative; });
      std::move(found.begin(), found.end(), std::back_inserter(c.images));
    } else {
      c.images.push_back({input, fs::path(input).filename().string()});
    }
  }
  if (c.images.empty()) throw DiscoveryError("no images found in the inputs (extensions: jpg jpeg png webp tif tiff bmp pgm ppm)");

  c.labels.assign(c.images.size(), -1);
  if (labels == LabelMode::dirname) {
    std::vector<std::string> names(c.images.size());
    for (std::size_t i = 0; i < c.images.size(); ++i) names[i] = label_of(c.images[i].path);
    std::map<std::string, std::int32_t> index;
    for (const auto& n : names) index.emplace(n, 0);
    std::int32_t k = 0;
    for (auto& [name, id] : index) {
      id = k++;
      c.label_names.push_back(name);
    }
    for (std::size_t i = 0; i < names.size(); ++i) c.labels[i] = index[names[i]];
  }
  return c;
}

}  // namespace imgshard::io
