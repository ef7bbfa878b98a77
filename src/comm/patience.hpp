#pragma once
// Waiting for MPI without burning a core. Open MPI's blocking calls (probe, wait, bcast,
// barrier) busy-poll: a worker waiting while rank 0 walks a large tree, or ranks waiting for
// the last units, would each spin a CPU at 100% that the others could use. These poll with
// a back-off instead: sleeps from 20 us growing to 2 ms, so a wait costs a few wake-ups a
// millisecond at first and at most 2 ms of added latency per message (a unit takes 100s of ms).
#include <cstdint>
#include <optional>

#include <boost/mpi/communicator.hpp>
#include <boost/mpi/request.hpp>
#include <boost/mpi/status.hpp>

namespace imgshard::comm {

class Backoff {
 public:
  void pause();  // sleeps, each time a little longer up to the cap
  void reset() { sleep_us_ = kFirstUs; }

 private:
  static constexpr long kFirstUs = 20, kMaxUs = 2000;
  long sleep_us_ = kFirstUs;
};

// comm.probe(source, tag), without spinning.
boost::mpi::status probe_patiently(boost::mpi::communicator& comm, int source, int tag);
// request.wait(), without spinning.
void wait_patiently(boost::mpi::request& request);
// MPI_Bcast of one int from rank 0 and MPI_Barrier, without spinning (non-blocking collectives).
void broadcast_patiently(boost::mpi::communicator& comm, int& value);
void broadcast_patiently(boost::mpi::communicator& comm, std::uint64_t* values, int count);
void barrier_patiently(boost::mpi::communicator& comm);

}  // namespace imgshard::comm
