// Work-unit planning, the static / dynamic hand-out policies, and how many images a unit carries.
#include <gtest/gtest.h>

#include <stdexcept>

#include "comm/run.hpp"
#include "comm/schedule.hpp"

using namespace imgshard::comm;

namespace {
std::vector<std::pair<std::uint64_t, std::uint64_t>> spans(const std::vector<UnitSpan>& units) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> r;
  for (const auto& u : units) r.emplace_back(u.begin, u.count);
  return r;
}
}  // namespace

TEST(PlanUnits, ConsecutiveChunksWithShortLastUnit) {
  EXPECT_EQ(spans(plan_units(10, 4)), (decltype(spans({})){{0, 4}, {4, 4}, {8, 2}}));
  EXPECT_EQ(spans(plan_units(3, 7)), (decltype(spans({})){{0, 3}}));
  EXPECT_TRUE(plan_units(0, 4).empty());
}

TEST(PlanUnits, IdsNumberUnitsInOrder) {
  const auto units = plan_units(10, 3);
  for (std::size_t k = 0; k < units.size(); ++k) EXPECT_EQ(units[k].id, k);
}

TEST(PlanUnits, DoneRangesAreSkippedAndNeverSpanned) {
  const auto units = plan_units(20, 4, {{2, 3}, {10, 6}});
  EXPECT_EQ(spans(units), (decltype(spans({})){{0, 2}, {5, 4}, {9, 1}, {16, 4}}));
}

TEST(PlanUnits, EverythingDoneLeavesNothing) { EXPECT_TRUE(plan_units(8, 4, {{0, 8}}).empty()); }

TEST(UnitQueue, StaticDealsRoundRobin) {
  UnitQueue q(plan_units(10, 2), 3, /*dynamic=*/false);  // units 0..4
  std::vector<std::uint64_t> rank1;
  while (!q.empty_for(1)) rank1.push_back(q.pop_for(1).id);
  EXPECT_EQ(rank1, (std::vector<std::uint64_t>{1, 4}));
  EXPECT_EQ(q.remaining(), 3u);
  EXPECT_EQ(q.pop_for(0).id, 0u);
  EXPECT_EQ(q.pop_for(2).id, 2u);
}

TEST(UnitQueue, DynamicServesWhoeverAsksInOrder) {
  UnitQueue q(plan_units(6, 2), 3, /*dynamic=*/true);
  EXPECT_EQ(q.pop_for(2).id, 0u);
  EXPECT_EQ(q.pop_for(2).id, 1u);
  EXPECT_EQ(q.pop_for(0).id, 2u);
  EXPECT_TRUE(q.empty_for(1));
  EXPECT_EQ(q.remaining(), 0u);
}

TEST(PlanUnits, TailIsCutIntoQuarterChunks) {
  // 2 ranks x chunk 8: the last 32 images go in units of 2.
  const auto units = plan_units(48, 8, {}, 2);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> expected{{0, 8}, {8, 8}};
  for (std::uint64_t b = 16; b < 48; b += 2) expected.emplace_back(b, 2);
  EXPECT_EQ(spans(units), expected);
  for (std::size_t k = 0; k < units.size(); ++k) EXPECT_EQ(units[k].id, k);
}

TEST(PlanUnits, TailCoversEveryIndexOnceWithDoneRanges) {
  const auto units = plan_units(100, 16, {{10, 5}, {90, 3}}, 3);
  std::vector<int> seen(100, 0);
  for (const auto& u : units) {
    EXPECT_LE(u.count, 16u);
    for (auto i = u.begin; i < u.begin + u.count; ++i) ++seen[i];
  }
  for (int i = 0; i < 100; ++i) EXPECT_EQ(seen[i], (i >= 10 && i < 15) || (i >= 90 && i < 93) ? 0 : 1) << i;
}

TEST(UnitRows, ChunkStandsWhileAUnitFitsOneMessage) {
  const auto unit = unit_rows(224 * 224 * 3, 64);
  EXPECT_EQ(unit.rows, 64u);
  EXPECT_EQ(unit.capped, "");
}

TEST(UnitRows, BigImagesMakeFewerRowsAndSaySo) {
  const std::uint64_t row = 100ull << 20;  // 100 MB: two fit in a unit
  const auto unit = unit_rows(row, 64);
  EXPECT_EQ(unit.rows, kMaxUnitBytes / row);
  EXPECT_EQ(unit.capped, "--chunk 64 of 100 MB images exceeds a unit's 256 MB: using --chunk 2");
  EXPECT_EQ(unit_rows(kMaxImageBytes, 64).rows, 1u);  // never fewer than one
  EXPECT_THROW(unit_rows(kMaxImageBytes + 1, 64), std::length_error);
}
