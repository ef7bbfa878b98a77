#include "comm/world.hpp"

#include <cstdlib>
#include <functional>
#include <string_view>

#include <boost/mpi/collectives.hpp>
#include <mpi.h>
#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>

#include "comm/patience.hpp"
#include "comm/world_impl.hpp"

namespace imgshard::comm {

namespace {

// Open MPI's UCX layer probes the network hardware at MPI_Init, about 0.2 s here: a tenth of
// a 1,000-image run. When every rank runs on this node (a singleton, or mpirun or srun
// placing all ranks on one node), shared memory (pml ob1 + btl vader) is the transport
// anyway, so the probe is skipped, unless the user chose a pml. Every rank decides from
// the same launcher variables, so all ranks pick the same pml.
void prefer_shared_memory_when_alone() {
  if (std::getenv("OMPI_MCA_pml")) return;
  const char* world = std::getenv("OMPI_COMM_WORLD_SIZE");        // set by mpirun
  const char* local = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
  const char* slurm_nodes = std::getenv("SLURM_STEP_NUM_NODES");  // set by srun
  const bool one_node = world ? (local && std::string_view(world) == local)
                              : (!slurm_nodes || std::string_view(slurm_nodes) == "1");
  if (one_node) ::setenv("OMPI_MCA_pml", "ob1", 0);
  // Started without a launcher (a singleton): imgshard never spawns processes, so Open MPI
  // need not start its runtime daemon for a possible MPI_Comm_spawn (0.1 s at MPI_Init).
  if (!world && !slurm_nodes && !std::getenv("PMIX_RANK")) ::setenv("OMPI_MCA_ess_singleton_isolated", "1", 0);
}

}  // namespace

World::World(int& argc, char**& argv)
    : impl_((prefer_shared_memory_when_alone(), std::make_unique<Impl>(argc, argv))) {}
World::~World() = default;

int World::rank() const { return impl_->comm.rank(); }
int World::size() const { return impl_->comm.size(); }
std::string World::host() const { return boost::mpi::environment::processor_name(); }

int World::agree_on_exit_code(int root_code) {
  broadcast_patiently(impl_->comm, root_code);  // workers wait here while rank 0 discovers
  return root_code;
}

bool World::any(bool mine) { return boost::mpi::all_reduce(impl_->comm, mine, std::logical_or<bool>()); }

void World::barrier() { barrier_patiently(impl_->comm); }

void World::Impl::learn_node() {
  if (node_size > 0) return;
  MPI_Comm node;
  MPI_Comm_split_type(MPI_Comm(comm), MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
  MPI_Comm_size(node, &node_size);
  // Rank 0's node: the shared communicator that holds world rank 0.
  int has_root = comm.rank() == 0 ? 1 : 0, any = 0;
  MPI_Allreduce(&has_root, &any, 1, MPI_INT, MPI_MAX, node);
  with_root = any != 0;
  MPI_Comm_free(&node);
}

int World::local_size() const {
  impl_->learn_node();
  return impl_->node_size;
}

bool World::shares_node_with_root() const {
  impl_->learn_node();
  return impl_->with_root;
}

void World::share_from_root(std::vector<std::uint64_t>& values) {
  int count = int(values.size());
  broadcast_patiently(impl_->comm, count);
  values.resize(std::size_t(count));
  broadcast_patiently(impl_->comm, values.data(), count);
}

void World::abort(int code) {
  boost::mpi::environment::abort(code);
  std::abort();  // not reached: MPI_Abort does not return
}

}  // namespace imgshard::comm
