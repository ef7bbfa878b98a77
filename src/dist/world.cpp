#include "dist/world.hpp"

#include <cstdlib>

#include <boost/mpi/collectives.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>

#include "dist/world_impl.hpp"

namespace imgshard::dist {

World::World(int& argc, char**& argv) : impl_(std::make_unique<Impl>(argc, argv)) {}
World::~World() = default;

int World::rank() const { return impl_->comm.rank(); }
int World::size() const { return impl_->comm.size(); }
std::string World::host() const { return boost::mpi::environment::processor_name(); }

int World::agree_on_exit_code(int root_code) {
  boost::mpi::broadcast(impl_->comm, root_code, 0);
  return root_code;
}

void World::barrier() { impl_->comm.barrier(); }

void World::abort(int code) {
  boost::mpi::environment::abort(code);
  std::abort();  // not reached: MPI_Abort does not return
}

}  // namespace imgshard::dist
