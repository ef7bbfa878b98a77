#pragma once
// Exit codes, as SPEC.md defines them.
namespace imgshard::app {
inline constexpr int kExitOk = 0;           // every image written
inline constexpr int kExitUsage = 1;        // usage or configuration error, nothing written
inline constexpr int kExitFatal = 2;        // fatal runtime error
inline constexpr int kExitSomeFailed = 3;   // finished, but some images failed
inline constexpr int kExitInterrupted = 4;  // interrupted cleanly; --resume continues
inline constexpr int kContinue = -1;        // not an exit: go on
}  // namespace imgshard::app
