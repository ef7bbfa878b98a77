#pragma once
// Test hooks that need no code in the run itself (see tests/slurm/).

namespace imgshard::comm {
class World;
}

namespace imgshard::app {

// IMGSHARD_TEST_PIDFILE=FILE: every rank appends "RANK PID HOST" to FILE as it starts, so
// that a test can SIGKILL one rank's process (on whichever node it runs) at a known moment.
// Does nothing when the variable is unset or empty.
void note_rank_process(const comm::World& world);

}  // namespace imgshard::app
