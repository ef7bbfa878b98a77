#include "comm/patience.hpp"

#include <algorithm>
#include <ctime>

#include <mpi.h>

namespace imgshard::comm {

void Backoff::pause() {
  const timespec ts{0, sleep_us_ * 1000};
  ::nanosleep(&ts, nullptr);
  sleep_us_ = std::min(sleep_us_ * 2, kMaxUs);
}

boost::mpi::status probe_patiently(boost::mpi::communicator& comm, int source, int tag) {
  Backoff backoff;
  while (true) {
    if (auto status = comm.iprobe(source, tag)) return *status;
    backoff.pause();
  }
}

void wait_patiently(boost::mpi::request& request) {
  Backoff backoff;
  while (!request.test()) backoff.pause();
}

namespace {

void complete_patiently(MPI_Request& request) {
  Backoff backoff;
  int done = 0;
  while (true) {
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done) return;
    backoff.pause();
  }
}

}  // namespace

void broadcast_patiently(boost::mpi::communicator& comm, int& value) {
  MPI_Request request;
  MPI_Ibcast(&value, 1, MPI_INT, 0, MPI_Comm(comm), &request);
  complete_patiently(request);
}

void broadcast_patiently(boost::mpi::communicator& comm, std::uint64_t* values, int count) {
  MPI_Request request;
  MPI_Ibcast(values, count, MPI_UINT64_T, 0, MPI_Comm(comm), &request);
  complete_patiently(request);
}

void barrier_patiently(boost::mpi::communicator& comm) {
  MPI_Request request;
  MPI_Ibarrier(MPI_Comm(comm), &request);
  complete_patiently(request);
}

}  // namespace imgshard::comm
