#include "io/discover.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <system_error>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <sys/stat.h>

#include "io/formats.hpp"

namespace imgshard::io {
namespace fs = std::filesystem;

bool has_image_extension(std::string_view filename) {
  const auto dot = filename.rfind('.');
  if (dot == std::string_view::npos) return false;
  std::string ext(filename.substr(dot + 1));
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  for (const ImageFormat* format : all_formats())
    if (std::find(format->extensions.begin(), format->extensions.end(), ext) != format->extensions.end()) return true;
  return false;
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
  for (std::uint64_t number = 1; std::getline(in, line); ++number) {
    // A byte-order mark (as Windows editors write) is no part of the first path.
    if (number == 1 && line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);
    // The system cuts a path at its first NUL: a list with one would open other files.
    if (line.find('\0') != std::string::npos)
      throw DiscoveryError(nul_byte_message(list_path, number));
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

// --labels dirname for an archive member: its parent folder inside the archive, or, at the
// top, the archive's name without extension (as for the files at the top of a folder). In
// a zip name a backslash is a separator: zip names use '/', but some Windows tools wrote
// backslashes, and unzip reads both. A name that climbs out ("../2.jpg") is at the top,
// where tar and unzip extract it.
std::string dirname_label(const SourceImage& image) {
  if (!image.member.in_archive()) return label_of(image.path);
  std::string name = normalize_member_name(image.relative);
  if (archive_type(image.path) == ArchiveType::zip) std::replace(name.begin(), name.end(), '\\', '/');
  const std::string parent = fs::path(name).lexically_normal().parent_path().filename().string();
  return parent.empty() || parent == ".." ? fs::path(image.path).stem().string() : parent;
}

// An archive INPUT: its image members in the byte order of their names.
void add_archive(const std::string& archive, std::vector<SourceImage>& out) {
  auto members = index_archive(archive, has_image_extension);
  std::stable_sort(members.begin(), members.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  for (auto& m : members) out.push_back({archive, std::move(m.name), m.locator});
}

// A CSV manifest: its rows as images, its label cells, its other columns as metadata.
void add_manifest(const std::string& csv, const DiscoverOptions& options, Collection& c,
                  std::vector<std::string>& label_text, bool& labelled) {
  const Manifest m = read_manifest(csv, options.csv);
  const auto& cells = m.columns[m.path_column];
  const std::size_t first = c.images.size();
  std::error_code ec;
  if (!options.csv_root.empty() && !fs::is_directory(options.csv_root, ec)) {
    // Paths name members of an archive: index only the members the manifest names.
    std::unordered_set<std::string> named;
    for (const auto& cell : cells) named.insert(normalize_member_name(cell));
    std::unordered_map<std::string, MemberLocator> members;
    for (auto& member : index_archive(options.csv_root, [&](std::string_view n) { return named.count(std::string(n)) > 0; }))
      members.insert_or_assign(std::move(member.name), member.locator);  // a name twice: the last, as tar -x
    for (const auto& cell : cells) {
      const auto it = members.find(normalize_member_name(cell));
      MemberLocator locator{.kind = MemberKind::missing};
      if (it != members.end()) locator = it->second;
      c.images.push_back({options.csv_root, cell, locator});
    }
  } else {
    const fs::path base = options.csv_root.empty() ? fs::path(csv).parent_path() : fs::path(options.csv_root);
    for (const auto& cell : cells) {
      const fs::path p(cell);
      c.images.push_back({(p.is_absolute() || base.empty() ? p : base / p).string(), cell});
    }
  }
  label_text.resize(c.images.size());
  if (m.label_column != kNoColumn) {
    labelled = true;
    std::copy(m.columns[m.label_column].begin(), m.columns[m.label_column].end(), label_text.begin() + std::ptrdiff_t(first));
  }
  for (std::size_t col = 0; col < m.header.size(); ++col) {
    if (col == m.path_column || col == m.label_column) continue;
    auto it = std::find_if(c.meta.begin(), c.meta.end(), [&](const MetaColumn& mc) { return mc.name == m.header[col]; });
    if (it == c.meta.end()) it = c.meta.insert(c.meta.end(), MetaColumn{m.header[col], {}});
    it->values.resize(first);
    it->values.insert(it->values.end(), m.columns[col].begin(), m.columns[col].end());
  }
}

// CSV labels: class ids kept as they are when every cell is a non-negative integer up to
// kMaxClassId (/label_names[i] = "i" for every i up to the largest, gaps included, so that
// splits of one dataset share their names); else the distinct texts, sorted. An empty cell
// is -1.
void csv_labels(const std::vector<std::string>& text, Collection& c) {
  std::int64_t max_id = -1;
  bool ids = true;
  for (const auto& t : text) {
    if (t.empty()) continue;
    if (t.size() > 7 || !std::all_of(t.begin(), t.end(), [](char ch) { return ch >= '0' && ch <= '9'; }) ||
        std::stoll(t) > kMaxClassId) {
      ids = false;
      break;
    }
    max_id = std::max<std::int64_t>(max_id, std::stoll(t));
  }
  if (ids && max_id >= 0) {
    for (std::int64_t i = 0; i <= max_id; ++i) c.label_names.push_back(std::to_string(i));
    for (std::size_t i = 0; i < text.size(); ++i) c.labels[i] = text[i].empty() ? -1 : std::int32_t(std::stoll(text[i]));
    return;
  }
  std::map<std::string, std::int32_t> index;
  for (const auto& t : text)
    if (!t.empty()) index.emplace(t, 0);
  std::int32_t k = 0;
  for (auto& [name, id] : index) {
    id = k++;
    c.label_names.push_back(name);
  }
  for (std::size_t i = 0; i < text.size(); ++i) c.labels[i] = text[i].empty() ? -1 : index[text[i]];
}

void dirname_labels(Collection& c) {
  std::vector<std::string> names(c.images.size());
  for (std::size_t i = 0; i < c.images.size(); ++i) names[i] = dirname_label(c.images[i]);
  std::map<std::string, std::int32_t> index;
  for (const auto& n : names) index.emplace(n, 0);
  std::int32_t k = 0;
  for (auto& [name, id] : index) {
    id = k++;
    c.label_names.push_back(name);
  }
  for (std::size_t i = 0; i < names.size(); ++i) c.labels[i] = index[names[i]];
}

}  // namespace

Collection discover(const std::vector<std::string>& inputs, LabelMode labels) {
  return discover(inputs, DiscoverOptions{.labels = labels});
}

Collection discover(const std::vector<std::string>& inputs, const DiscoverOptions& options) {
  Collection c;
  c.inputs = inputs;
  std::vector<std::string> label_text;  // CSV label cells, per image ("" for none)
  bool csv_labelled = false;
  if (!options.csv_root.empty()) {
    std::error_code ec;
    if (!fs::exists(options.csv_root, ec))
      throw DiscoveryError(fmt::format("--csv-root {}: no such file or directory", options.csv_root));
    if (!fs::is_directory(options.csv_root, ec) && archive_type(options.csv_root) == ArchiveType::none)
      throw DiscoveryError(fmt::format("--csv-root {}: neither a folder nor a .zip or .tar archive", options.csv_root));
    if (std::none_of(inputs.begin(), inputs.end(), is_manifest_input))
      throw DiscoveryError(fmt::format("--csv-root {}: no @FILE.csv input to apply it to", options.csv_root));
  }
  try {
    for (std::size_t k = 0; k < inputs.size(); ++k) {
      const std::string& input = inputs[k];
      const std::size_t first = c.images.size();
      if (is_manifest_input(input)) {
        add_manifest(input.substr(1), options, c, label_text, csv_labelled);
      } else if (input.starts_with('@')) {
        add_list(input.substr(1), c.images);
      } else {
        std::error_code ec;
        const auto status = fs::status(input, ec);
        if (ec || !fs::exists(status)) throw DiscoveryError(fmt::format("input {}: no such file or directory", input));
        if (fs::is_directory(status)) {
          std::vector<SourceImage> found;
          std::set<DirId> open;
          walk(input, "", open, found, c.input_errors);
          std::sort(found.begin(), found.end(), [](const SourceImage& a, const SourceImage& b) { return a.relative < b.relative; });
          std::move(found.begin(), found.end(), std::back_inserter(c.images));
        } else if (archive_type(input) != ArchiveType::none) {
          add_archive(input, c.images);
        } else {
          c.images.push_back({input, fs::path(input).filename().string()});
        }
      }
      for (std::size_t i = first; i < c.images.size(); ++i) c.images[i].input = std::int32_t(k);
      for (auto& column : c.meta) column.values.resize(c.images.size());
    }
  } catch (const ManifestError& e) {
    throw DiscoveryError(e.what());
  } catch (const ArchiveError& e) {
    throw DiscoveryError(e.what());
  }
  if (c.images.empty())
    throw DiscoveryError(fmt::format("no images found in the inputs (extensions: {})", image_extensions_text()));

  c.labels.assign(c.images.size(), -1);
  if (options.labels == LabelMode::none) return c;
  if (options.labels == LabelMode::automatic && csv_labelled) {
    label_text.resize(c.images.size());
    csv_labels(label_text, c);
    c.label_source = "csv";
  } else {
    dirname_labels(c);
    c.label_source = "dirname";
  }
  return c;
}

}  // namespace imgshard::io
