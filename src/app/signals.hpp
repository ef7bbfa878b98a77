#pragma once
// SIGTERM / SIGUSR1 (Slurm's time-limit warning, scancel, mpirun's forwarding): the first
// asks for a clean stop; a second ends the process at once (the journal keeps it resumable).
namespace imgshard::app {
void install_stop_handlers();
bool stop_requested();
}  // namespace imgshard::app
