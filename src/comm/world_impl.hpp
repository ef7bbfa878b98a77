#pragma once
#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>

#include "comm/world.hpp"

namespace imgshard::comm {

struct World::Impl {
  Impl(int& argc, char**& argv) : env(argc, argv, boost::mpi::threading::funneled) {}
  boost::mpi::environment env;
  boost::mpi::communicator comm;
  int node_size = 0;       // ranks on this node, once learn_node() ran
  bool with_root = false;  // whether rank 0 is on this node
  void learn_node();
};

}  // namespace imgshard::comm
