#include "pipeline/pipeline.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "kernels/registry.hpp"

namespace imgshard::pipeline {
namespace {

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t at = text.find(sep, start);
    parts.push_back(text.substr(start, at == std::string_view::npos ? text.npos : at - start));
    if (at == std::string_view::npos) return parts;
    start = at + 1;
  }
}

Step parse_step(std::string_view text) {
  const std::size_t eq = text.find('=');
  const std::string name(text.substr(0, eq));
  if (name.empty()) throw KernelError(fmt::format("pipeline: empty step in '{}'", text));
  const kernels::KernelSpec* spec = kernels::find_kernel(name);
  if (!spec) throw KernelError(fmt::format("pipeline: unknown kernel '{}' (see --list-kernels)", name));

  Step step;
  step.spec = spec;
  std::vector<bool> given(spec->args.size(), false);
  if (eq != std::string_view::npos) {
    std::size_t position = 0;
    bool keywords = false;
    const std::vector<std::string_view> parts = split(text.substr(eq + 1), ':');
    const auto leading = std::find_if(parts.begin(), parts.end(), [](std::string_view p) { return p.find('=') != p.npos; });
    const std::size_t positional = std::size_t(leading - parts.begin());  // see KernelSpec::positional_forms
    for (std::string_view part : parts) {
      const std::size_t kv = part.find('=');
      std::size_t index = 0;
      std::string_view value = part;
      if (kv != std::string_view::npos) {
        keywords = true;
        const std::string_view key = part.substr(0, kv);
        value = part.substr(kv + 1);
        while (index < spec->args.size() && spec->args[index].name != key) ++index;
        if (index == spec->args.size()) {
          std::string names;
          for (const auto& a : spec->args) names += (names.empty() ? "" : ", ") + a.name;
          throw KernelError(fmt::format("{}: unknown argument '{}' (takes: {})", name, key, names.empty() ? "none" : names));
        }
      } else {
        if (keywords) throw KernelError(fmt::format("{}: positional argument '{}' after key=value ones", name, part));
        index = spec->positional_index(position++, positional);
        if (index >= spec->args.size())
          throw KernelError(fmt::format("{}: too many arguments (takes {})", name, spec->args.size()));
      }
      if (given[index]) throw KernelError(fmt::format("{}: {} given twice", name, spec->args[index].name));
      given[index] = true;
      step.args.set(spec->args[index], kernels::validate_arg(*spec, spec->args[index], value));
    }
  }
  step.canonical = name;
  for (std::size_t i = 0; i < spec->args.size(); ++i) {
    const auto& arg = spec->args[i];
    if (!given[i]) {
      if (arg.required()) throw KernelError(fmt::format("{}: missing required argument {}", name, arg.name));
      step.args.set(arg, arg.default_value);
    }
    step.canonical += fmt::format("{}{}={}", i == 0 ? "=" : ":", arg.name, step.args.text(arg.name));
  }
  step.kernel = spec->make(step.args);
  return step;
}

}  // namespace

Pipeline Pipeline::parse(std::string_view spec) {
  Pipeline p;
  if (spec.empty()) throw KernelError("pipeline: empty (e.g. -p resize=224:224)");
  ImageShape shape;  // decoded RGB uint8 of any size
  for (std::string_view text : split(spec, ',')) {
    Step step = parse_step(text);
    kernels::check_input(*step.spec, shape);
    shape = step.kernel->output_shape(shape);
    p.canonical_ += (p.canonical_.empty() ? "" : ",") + step.canonical;
    p.steps_.push_back(std::move(step));
  }
  if (!shape.fixed())
    throw KernelError(fmt::format(
        "pipeline: '{}' does not give every image one fixed size: add a resize or crop step", spec));
  p.output_ = shape;
  return p;
}

cv::Size Pipeline::min_source_size(cv::Size source) const {
  return steps_.empty() ? source : steps_.front().kernel->min_source_size(source);
}

void Pipeline::run(const cv::Mat& rgb, cv::Mat& out, cv::Mat& scratch) const { run_from(0, rgb, out, scratch); }

std::unique_ptr<kernels::RowStream> Pipeline::stream_first(cv::Size source, cv::Mat& first) const {
  return steps_.empty() ? nullptr : steps_.front().kernel->stream(source, CV_8UC3, first);
}

void Pipeline::run_after_first(const cv::Mat& first, cv::Mat& out, cv::Mat& scratch) const {
  run_from(1, first, out, scratch);
}

void Pipeline::run_from(std::size_t first_step, const cv::Mat& in_image, cv::Mat& out, cv::Mat& scratch) const {
  // Ping-pong between `out` and `scratch` so that no step writes into its own input.
  const cv::Mat* in = &in_image;
  cv::Mat* buffers[2] = {&out, &scratch};
  // Start so that the last step writes into `out`.
  const std::size_t count = steps_.size() - std::min(first_step, steps_.size());
  int next = count % 2 == 1 ? 0 : 1;
  for (std::size_t i = first_step; i < steps_.size(); ++i) {
    cv::Mat* target = buffers[next];
    steps_[i].kernel->apply(*in, *target);
    in = target;
    next ^= 1;
  }
  if (count == 0) in_image.copyTo(out);
  if (!out.isContinuous()) out = out.clone();
}

}  // namespace imgshard::pipeline
