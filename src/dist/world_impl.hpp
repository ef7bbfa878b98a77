#pragma once
#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>

#include "dist/world.hpp"

namespace imgshard::dist {

struct World::Impl {
  Impl(int& argc, char**& argv) : env(argc, argv, boost::mpi::threading::funneled) {}
  boost::mpi::environment env;
  boost::mpi::communicator comm;
};

}  // namespace imgshard::dist
