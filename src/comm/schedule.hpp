#pragma once
// Work-unit planning: which consecutive indices form a unit, and which rank gets it.
#include <cstdint>
#include <deque>
#include <vector>

namespace imgshard::comm {

struct UnitSpan {
  std::uint64_t id = 0;
  std::uint64_t begin = 0;
  std::uint64_t count = 0;
};

// Consecutive indices [begin, begin + count) that need no unit: an earlier run did them.
struct Range {
  std::uint64_t begin = 0;
  std::uint64_t count = 0;
};

// Splits the indices in [0, total) that are not `done` into units of at most `chunk`
// consecutive indices; a unit never spans a done index. Ids number the units in order.
// `done` holds sorted, non-overlapping ranges.
// The last 2 x ranks x chunk images go in units of a quarter chunk, so that the end of a run
// spreads evenly over the ranks instead of waiting on one big last unit (ranks = 0: no tail).
std::vector<UnitSpan> plan_units(std::uint64_t total, std::uint64_t chunk,
                                 const std::vector<Range>& done = {}, int ranks = 0);

// Who gets which unit. static: unit k goes to rank k % ranks, dealt up front; dynamic: the
// next unit goes to whichever rank asks first.
class UnitQueue {
 public:
  UnitQueue(std::vector<UnitSpan> units, int ranks, bool dynamic);
  bool empty_for(int rank) const;
  UnitSpan pop_for(int rank);  // precondition: !empty_for(rank)
  std::uint64_t remaining() const { return remaining_; }

 private:
  bool dynamic_;
  std::vector<std::deque<UnitSpan>> queues_;  // one shared queue when dynamic
  std::uint64_t remaining_ = 0;
};

}  // namespace imgshard::comm
