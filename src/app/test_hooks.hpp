#pragma once
// Test hooks: environment variables that let tests kill or signal a run at a known moment
// (see tests/integration/ and tests/slurm/). Unset, they do nothing.
#include <string>

namespace imgshard::comm {
class World;
}

namespace imgshard::app {

// IMGSHARD_TEST_PIDFILE=FILE: every rank appends "RANK PID HOST" to FILE as it starts, so
// that a test can SIGKILL one rank's process (on whichever node it runs) at a known moment.
// Does nothing when the variable is unset or empty.
void note_rank_process(const comm::World& world);

// IMGSHARD_TEST_STALL=<point> makes rank 0 say "test stall at <point>" on stderr and sleep
// there (until a stop signal), so tests can SIGKILL or signal a run at a known moment.
// Points: discovered, created, unit:K (after the K-th unit is written), finishing; and
// start, on every rank before MPI_Init (each rank says it).
// With IMGSHARD_TEST_STALL_ONCE=<file>, only the run that creates <file> stalls: a requeued
// or resumed job, which inherits the environment, then runs through.
bool stall_wanted(const std::string& point);
void stall_point(const std::string& point);

}  // namespace imgshard::app
