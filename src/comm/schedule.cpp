#include "comm/schedule.hpp"

#include <algorithm>

namespace imgshard::comm {

std::vector<UnitSpan> plan_units(std::uint64_t total, std::uint64_t chunk, const std::vector<Range>& done,
                                 int ranks) {
  chunk = std::max<std::uint64_t>(chunk, 1);
  std::vector<UnitSpan> units;
  std::uint64_t next = 0;
  auto cover = [&](std::uint64_t begin, std::uint64_t end) {
    for (std::uint64_t b = begin; b < end; b += chunk) units.push_back({0, b, std::min(chunk, end - b)});
  };
  for (const Range& d : done) {
    if (d.begin > next) cover(next, std::min(d.begin, total));
    next = std::max(next, d.begin + d.count);
  }
  if (next < total) cover(next, total);

  // Cut the tail finer.
  const std::uint64_t piece = std::max<std::uint64_t>(1, chunk / 4);
  std::uint64_t tail_images = 0, first_tail = units.size();
  while (ranks > 0 && piece < chunk && first_tail > 0 &&
         tail_images + units[first_tail - 1].count <= 2 * std::uint64_t(ranks) * chunk)
    tail_images += units[--first_tail].count;
  std::vector<UnitSpan> planned(units.begin(), units.begin() + std::ptrdiff_t(first_tail));
  for (std::size_t u = first_tail; u < units.size(); ++u)
    for (std::uint64_t b = units[u].begin; b < units[u].begin + units[u].count; b += piece)
      planned.push_back({0, b, std::min(piece, units[u].begin + units[u].count - b)});
  for (std::size_t k = 0; k < planned.size(); ++k) planned[k].id = k;
  return planned;
}

UnitQueue::UnitQueue(std::vector<UnitSpan> units, int ranks, bool dynamic)
    : dynamic_(dynamic), queues_(dynamic ? 1 : std::size_t(std::max(ranks, 1))), remaining_(units.size()) {
  for (std::size_t k = 0; k < units.size(); ++k) queues_[dynamic ? 0 : k % queues_.size()].push_back(units[k]);
}

bool UnitQueue::empty_for(int rank) const { return queues_[dynamic_ ? 0 : std::size_t(rank)].empty(); }

UnitSpan UnitQueue::pop_for(int rank) {
  auto& q = queues_[dynamic_ ? 0 : std::size_t(rank)];
  UnitSpan u = q.front();
  q.pop_front();
  --remaining_;
  return u;
}

}  // namespace imgshard::comm
