#include "store/open_for_run.hpp"

#include <filesystem>

#include <fmt/format.h>

namespace imgshard::store {
namespace {

OpenedOutput refuse(std::string message) { return {OpenedOutput::refused, std::nullopt, {}, std::move(message)}; }

}  // namespace

OpenedOutput open_for_run(const std::string& path, IfExists if_exists, const std::string& fingerprint,
                          std::uint64_t count, const std::function<OutputFile()>& create) {
  std::error_code ec;
  const bool exists = std::filesystem::exists(path, ec);
  if (exists && if_exists == IfExists::refuse)
    return refuse(fmt::format("{} exists: pass --force to overwrite it or --resume to finish it", path));
  if (!exists || if_exists == IfExists::replace) {
    const std::string note =
        if_exists == IfExists::resume ? fmt::format("--resume: {} does not exist yet; starting a new run", path) : "";
    return {OpenedOutput::created, create(), {}, note};
  }
  std::string why;
  const auto state = OutputFile::read_state(path, &why);
  if (!state)
    return refuse(fmt::format("--resume: {} cannot be opened as an imgshard output ({}); it is left as it is", path, why));
  if (state->fingerprint != fingerprint || state->count != count)
    return refuse(fmt::format("--resume: {} was made from other inputs or another pipeline or options; "
                              "pass --force to start over",
                              path));
  if (state->complete)
    return {OpenedOutput::complete, std::nullopt, {},
            fmt::format("{} is already complete ({} images); nothing to do", path, count)};
  try {
    OutputFile file = OutputFile::reopen(path);
    auto done = file.journaled();
    return {OpenedOutput::resumed, std::move(file), std::move(done), ""};
  } catch (const StoreError& e) {
    return refuse(fmt::format("--resume: {} cannot be opened for writing ({}); it is left as it is", path, e.what()));
  }
}

}  // namespace imgshard::store
