#include "store/open_for_run.hpp"

#include <cerrno>
#include <filesystem>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include "store/journal.hpp"

namespace imgshard::store {
namespace {

OpenedOutput refuse(std::string message) { return {OpenedOutput::refused, std::nullopt, {}, std::move(message)}; }

// Whether another process holds HDF5's lock on `path`: every process with the file open
// through HDF5 holds an flock on it (shared for reading), so an exclusive one is refused.
bool held_by_another_process(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // releases the probe's lock, when it got one
  return held;
}

}  // namespace

OpenedOutput open_for_run(const std::string& path, IfExists if_exists, const std::string& fingerprint,
                          std::uint64_t count, const std::function<OutputFile()>& create) {
  std::error_code ec;
  // The name itself: a dangling link exists too, and is not replaced without --force.
  const auto named = std::filesystem::symlink_status(path, ec);
  const bool exists = std::filesystem::exists(named);
  if (exists && if_exists == IfExists::refuse)
    return refuse(fmt::format("{} exists: pass --force to overwrite it or --resume to finish it", path));
  // --force replaces a file or a link (the link, never what it points to); a directory, a
  // device (-o /dev/null as root), a FIFO or a socket is no output to remove.
  if (exists && !std::filesystem::is_regular_file(named) && !std::filesystem::is_symlink(named))
    return refuse(fmt::format("{} exists and is not a regular file ({}); imgshard replaces only files: "
                              "choose another output",
                              path, std::filesystem::is_directory(named) ? "a directory" : "a device, FIFO or socket"));
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
  // The journal is appended to: never through a link or into anything but a file.
  const auto journal = std::filesystem::symlink_status(journal_path(path), ec);
  if (std::filesystem::exists(journal) && !std::filesystem::is_regular_file(journal))
    return refuse(fmt::format("--resume: the journal {} is not a regular file (a link?); both are left as they are",
                              journal_path(path)));
  try {
    OutputFile file = OutputFile::reopen(path);
    auto done = file.journaled();
    return {OpenedOutput::resumed, std::move(file), std::move(done), ""};
  } catch (const StoreError& e) {
    if (held_by_another_process(path))
      return refuse(fmt::format("--resume: {} is open in another process (a reader: h5py, a DataLoader, HDFView?), "
                                "which keeps HDF5 from writing it; close that and resume again. It is left as it is",
                                path));
    return refuse(fmt::format("--resume: {} cannot be opened for writing ({}); it is left as it is", path, e.what()));
  }
}

}  // namespace imgshard::store
