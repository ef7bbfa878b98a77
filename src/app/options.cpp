#include "app/options.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "app/exit_codes.hpp"
#include "app/version.hpp"
#include "kernels/registry.hpp"

namespace imgshard::app {
namespace {

// A number of 0 or more: CLI11's own range checks let NaN through and print their bounds as
// 300-digit numbers ("Value 0 not in range 0.000000 to 17976...").
CLI::Validator seconds_check() {
  return CLI::Validator(
      [](const std::string& text) {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        const bool ok = end != text.c_str() && *end == '\0' && std::isfinite(v) && v >= 0;
        return ok ? std::string() : fmt::format("must be a number of 0 or more, got '{}'", text);
      },
      "NUMBER>=0");
}

// A whole number that fits the 64-bit limit it sets: CLI11 turns a larger one into the
// largest silently, and a limit of 0 would refuse every image.
CLI::Validator limit_check() {
  return CLI::Validator(
      [](const std::string& text) {
        std::uint64_t v = 0;
        const char* last = text.data() + text.size();
        const auto [end, ec] = std::from_chars(text.data(), last, v);
        const bool ok = ec == std::errc() && end == last && v > 0;
        return ok ? std::string()
                  : fmt::format("must be a whole number from 1 to {}, got '{}'",
                                std::numeric_limits<std::uint64_t>::max(), text);
      },
      "INTEGER>0");
}

// The words of an option that picks one of an enum's values, each with its value: the one
// place they are spelled.
template <class E>
using Words = std::vector<std::pair<std::string, E>>;

const Words<io::LabelMode> kLabels = {
    {"auto", io::LabelMode::automatic}, {"dirname", io::LabelMode::dirname}, {"none", io::LabelMode::none}};
const Words<io::FailOn> kFailOn = {
    {"warning", io::FailOn::warning}, {"truncated", io::FailOn::truncated}, {"error", io::FailOn::error}};
const Words<Decode> kDecode = {{"exact", Decode::exact}, {"fast", Decode::fast}};
const Words<Schedule> kSchedule = {{"static", Schedule::static_}, {"dynamic", Schedule::dynamic}};
// Each word of --compress with its gzip level; the first word of a level is how it is recorded.
const Words<int> kCompress = {{"none", -1},  {"gzip", 4},    {"gzip=0", 0}, {"gzip=1", 1}, {"gzip=2", 2},
                              {"gzip=3", 3}, {"gzip=4", 4}, {"gzip=5", 5}, {"gzip=6", 6}, {"gzip=7", 7},
                              {"gzip=8", 8}, {"gzip=9", 9}};
const Words<Writer> kWriters = {{"ranks", Writer::ranks}, {"root", Writer::root}};
const Words<metrics::ProgressMode> kProgress = {{"auto", metrics::ProgressMode::automatic},
                                                {"bar", metrics::ProgressMode::bar},
                                                {"log", metrics::ProgressMode::log},
                                                {"none", metrics::ProgressMode::none}};

template <class E>
const std::string& word_of(const Words<E>& words, E value) {
  for (const auto& [word, v] : words)
    if (v == value) return word;
  return words.front().first;
}

// An option that sets `value` straight from one of `words`. transform() puts each validator
// first, so IsMember, added last, runs first: it refuses any other word with "--labels: x not
// in {auto,dirname,none}"; then the Transformer turns the word into its value.
template <class E>
CLI::Option* add_words(CLI::App& cli, const std::string& name, E& value, const Words<E>& words,
                       const std::string& doc, const std::string& shown = "") {
  auto member = CLI::IsMember(words);
  if (!shown.empty()) member.description(shown);  // a shorter list for --help than every word
  return cli.add_option(name, value, doc)
      ->transform(CLI::Transformer(words).description(""))
      ->transform(member)
      ->type_name("TEXT")
      ->default_str(word_of(words, value));
}

}  // namespace

const std::string& word(Decode value) { return word_of(kDecode, value); }
const std::string& word(Schedule value) { return word_of(kSchedule, value); }
const std::string& word(io::FailOn value) { return word_of(kFailOn, value); }
const std::string& compress_word(int gzip_level) { return word_of(kCompress, gzip_level); }

int parse_options(int argc, char** argv, Options& o, bool print) {
  CLI::App cli{"imgshard: image collections -> one training-ready HDF5 tensor file, over MPI ranks x OpenMP threads.\n"
               "Usage: imgshard [OPTIONS] INPUT... -o OUT.h5   (under MPI: mpirun -np R --bind-to none imgshard ...)",
               "imgshard"};
  cli.footer("Exit codes: 0 all written, 1 usage error, 2 fatal error, 3 some images failed, 4 interrupted "
             "(--resume continues).");
  bool list_kernels = false, kernels_markdown = false;

  // An option given twice takes its last value, so scripts can append overrides.
  cli.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  cli.set_version_flag("--version", std::string("imgshard ") + kVersion);
  cli.add_option("INPUT", o.inputs, "directories (walked recursively), image files, @list.txt, @FILE.csv, .zip or .tar")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cli.add_option("-o,--output", o.output, "the HDF5 file to write");
  cli.add_option("-p,--pipeline", o.pipeline, "kernels, e.g. resize=256:256:mode=crop,crop=224:224 (see --list-kernels)")
      ->capture_default_str();
  cli.add_flag("--list-kernels", list_kernels, "print every kernel with its arguments and exit");
  cli.add_flag("--kernels-markdown", kernels_markdown, "print the kernel table of README.md and exit")->group("");
  add_words(cli, "--decode", o.decode, kDecode,
            "exact: full decode; fast: JPEG shrink-on-load at a DCT scale before the first resize");
  cli.add_option("--threads", o.threads, "OpenMP threads per rank (default: OMP_NUM_THREADS, else the rank's CPUs)")
      ->check(CLI::Range(1, 1024));
  add_words(cli, "--schedule", o.schedule, kSchedule, "how units go to ranks and images to threads");
  cli.add_option("--chunk", o.chunk, "images per work unit")->check(CLI::Range(1, 1 << 20))->capture_default_str();
  add_words(cli, "--labels", o.labels, kLabels,
            "auto: a CSV manifest's label column where there is one, else dirname; dirname: class from the parent "
            "folder's name; none");
  cli.add_option("--csv-path", o.csv.path, "the @FILE.csv column with the image paths")->capture_default_str();
  auto* csv_label = cli.add_option("--csv-label", o.csv.label, "the @FILE.csv column with the labels")->capture_default_str();
  cli.add_option("--csv-root", o.csv_root,
                 "the folder, or .zip/.tar archive, that @FILE.csv paths are relative to (default: the CSV's folder)");
  add_words(cli, "--compress", o.gzip_level, kCompress, "none, gzip (level 4) or gzip=LEVEL (0-9) for /images",
            "{none,gzip,gzip=0..9}");
  cli.add_flag("--resume", o.resume, "finish an interrupted run of the same inputs and pipeline");
  cli.add_flag("--force", o.force, "overwrite an existing output");
  cli.add_flag("--strict", o.strict, "stop at the first image that fails (exit 3; what was written stays)");
  cli.add_option("--max-pixels", o.max_pixels, "refuse images whose header declares more pixels")
      ->check(limit_check())
      ->capture_default_str();
  cli.add_option("--max-file-bytes", o.max_file_bytes,
                 "refuse files larger than this (status too_large) before reading them")
      ->check(limit_check())
      ->capture_default_str();
  add_words(cli, "--fail-on", o.fail_on, kFailOn,
            "warning: any decoder warning fails an image; truncated: only truncation; error: only errors");
  cli.add_option("--checkpoint-seconds", o.checkpoint_seconds,
                 "flush the output and journal finished units at most this often (0: after every unit)")
      ->check(seconds_check())  // NaN would switch checkpoints off
      ->capture_default_str();
  cli.add_option("--report", o.report, "write the run's timings and counts as JSON");
  add_words(cli, "--writer", o.writer, kWriters,
            "ranks: every rank writes the rows it computed into OUT (uncompressed /images); root: rank 0 writes "
            "every row (for file systems without consistent writes from many hosts)");
  add_words(cli, "--progress", o.progress, kProgress, "auto (bar on a terminal, else log lines), bar, log, none");

  const auto usage_error = [&](const std::string& message) {
    if (print) fmt::print(stderr, "imgshard: error: {}\n", message);
    return kExitUsage;
  };
  try {
    cli.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    if (print) fmt::print("{}", cli.help());
    return kExitOk;
  } catch (const CLI::CallForVersion& e) {
    if (print) fmt::print("imgshard {}\n", kVersion);
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    return usage_error(e.what());
  }
  if (list_kernels || kernels_markdown) {
    if (print) fmt::print("{}", list_kernels ? kernels::list_kernels_text() : kernels::kernels_markdown_table());
    return kExitOk;
  }
  if (o.inputs.empty()) return usage_error("no INPUT given (directories, image files, @list.txt, @FILE.csv, .zip or .tar)");
  if (o.output.empty()) return usage_error("no output given: -o OUT.h5");
  if (o.resume && o.force) return usage_error("--resume and --force exclude each other");

  o.csv.label_required = csv_label->count() > 0;
  return kContinue;
}

}  // namespace imgshard::app
