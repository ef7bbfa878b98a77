#pragma once
// Everything MPI lives in comm/: the world of ranks, and how work and results travel.
#include <memory>
#include <cstdint>
#include <string>
#include <vector>

namespace imgshard::comm {

// MPI's environment and the world communicator (funneled threading: only the main thread
// of a rank calls MPI; OpenMP threads never do).
class World {
 public:
  World(int& argc, char**& argv);
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  int rank() const;
  int size() const;
  bool is_root() const { return rank() == 0; }
  std::string host() const;
  // How many ranks of this job share this rank's node, and whether rank 0 is one of them
  // (collective: every rank calls it, once; the answer is kept).
  int local_size() const;
  bool shares_node_with_root() const;
  // Rank 0's `values` on every rank (collective), waiting without spinning.
  void share_from_root(std::vector<std::uint64_t>& values);

  // Rank 0 says whether the run goes on (0) or every rank stops with that exit code.
  // Waiting ranks sleep instead of spinning (comm/patience.hpp), as in barrier().
  int agree_on_exit_code(int root_code);
  // Whether `mine` is true on any rank (collective: every rank calls it).
  bool any(bool mine);
  void barrier();
  // Ends every rank of the job at once (a fatal error on one rank).
  [[noreturn]] void abort(int code);

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace imgshard::comm
