#include "app/signals.hpp"

#include <atomic>
#include <csignal>

#include <unistd.h>

#include "app/exit_codes.hpp"

namespace imgshard::app {
namespace {

std::atomic<int> g_signals{0};

extern "C" void on_stop_signal(int) {
  if (g_signals.fetch_add(1) >= 1) {
    static constexpr char kMessage[] = "imgshard: second signal, stopping now; --resume continues\n";
    [[maybe_unused]] auto n = ::write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
    ::_exit(kExitInterrupted);
  }
}

}  // namespace

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGUSR1, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
}

bool stop_requested() { return g_signals.load() > 0; }

}  // namespace imgshard::app
