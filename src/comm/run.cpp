#include "comm/run.hpp"

#include <algorithm>
#include <deque>
#include <limits>
#include <stdexcept>

#include <boost/mpi/communicator.hpp>
#include <fmt/format.h>
#include <boost/mpi/nonblocking.hpp>
#include <boost/serialization/array.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>

#include "comm/patience.hpp"
#include "comm/world_impl.hpp"

namespace boost::serialization {

template <class Archive>
void serialize(Archive& ar, imgshard::io::MemberLocator& m, unsigned) {
  ar & m.kind & m.has_crc & m.method & m.crc32 & m.offset & m.stored_size & m.size;
}

template <class Archive>
void serialize(Archive& ar, imgshard::pipeline::WorkUnit& u, unsigned) {
  ar & u.id & u.begin & u.paths & u.members;
}

// A result travels as this header plus the pixels as a raw byte message.
template <class Archive>
void serialize(Archive& ar, imgshard::pipeline::UnitResult& r, unsigned) {
  ar & r.id & r.begin & r.count & r.status & r.errors & r.orig_shape & r.bytes_read & r.chunk_bytes & r.rows_written;
}

template <class Archive>
void serialize(Archive& ar, imgshard::metrics::RankReport& r, unsigned) {
  ar & r.rank & r.host & r.threads & r.counts.images & r.counts.units & r.counts.bytes_read & r.counts.bytes_sent &
      r.counts.bytes_received & r.counts.bytes_written & r.wall_seconds & r.phases;
}

}  // namespace boost::serialization

namespace imgshard::comm {
namespace {

namespace mpi = boost::mpi;
using metrics::Phase;

enum Tag : int { kWork = 1, kStop = 2, kResult = 3, kPixels = 4, kInterrupt = 5, kReport = 6 };

// MPI counts are ints: unit_rows() keeps every unit under kMaxUnitBytes, far below.
int message_count(std::size_t bytes) {
  if (bytes > std::size_t(std::numeric_limits<int>::max()))
    throw std::length_error("a unit's pixels exceed one MPI message (2 GiB)");
  return int(bytes);
}

void finish_report(metrics::RankReport& self, const metrics::PhaseTimers& timers) {
  self.counts = timers.counts;
  self.wall_seconds = timers.wall();
  self.phases = timers.finish();
}

// A result on its way to rank 0: its buffers must live until both sends complete.
struct Outgoing {
  pipeline::UnitResult result;
  mpi::request header, pixels;
  bool pixels_sent = false;  // no pixel message when the rows went into the file here

  void wait() {
    wait_patiently(header);
    if (pixels_sent) wait_patiently(pixels);
  }
};

}  // namespace

UnitRows unit_rows(std::uint64_t row_bytes, std::uint64_t wanted) {
  if (row_bytes > kMaxImageBytes)
    throw std::length_error(fmt::format("one processed image is {} bytes, over the {} bytes one work unit may carry "
                                        "(one MPI message, one HDF5 chunk): choose a smaller output size",
                                        row_bytes, kMaxImageBytes));
  const auto rows = std::clamp<std::uint64_t>(kMaxUnitBytes / std::max<std::uint64_t>(row_bytes, 1), 1, wanted);
  if (rows >= wanted) return {rows, ""};
  return {rows, fmt::format("--chunk {} of {} MB images exceeds a unit's {} MB: using --chunk {}", wanted,
                            row_bytes >> 20, kMaxUnitBytes >> 20, rows)};
}

RunOutcome run_root(World& world, UnitQueue& queue, const pipeline::BatchRunner& runner, const RootHooks& hooks,
                    metrics::PhaseTimers& timers, metrics::RankReport self) {
  mpi::communicator& comm = world.impl().comm;
  const int ranks = comm.size();
  std::vector<int> in_flight(std::size_t(ranks), 0);
  int total_in_flight = 0;
  bool stopping = false;
  RunOutcome outcome;

  // Work goes out without blocking: a long path list must not stall rank 0 until the worker
  // has finished its current unit. Completed sends are dropped as we go.
  std::deque<mpi::request> work_sends;
  // A worker holds up to kUnitsInFlight units while work is plentiful, one near the end, so
  // that the last units spread over every rank (rank 0 included) instead of queueing.
  const auto hand_out = [&](int rank) {
    const int depth = queue.remaining() >= std::uint64_t(kUnitsInFlight * ranks) ? kUnitsInFlight : 1;
    if (stopping || queue.empty_for(rank) || in_flight[std::size_t(rank)] >= depth) return;
    auto t = timers.scope(Phase::send);
    while (!work_sends.empty() && work_sends.front().test()) work_sends.pop_front();
    work_sends.push_back(comm.isend(rank, kWork, hooks.make_unit(queue.pop_for(rank))));
    ++in_flight[std::size_t(rank)];
    ++total_in_flight;
  };

  const auto handle_message = [&](const mpi::status& status) {
    const int source = status.source();
    if (status.tag() == kInterrupt) {
      comm.recv(source, kInterrupt);
      stopping = true;
      return;
    }
    pipeline::UnitResult* incoming = nullptr;
    {
      auto t = timers.scope(Phase::write);  // waiting for a free buffer is waiting for the writer
      incoming = &hooks.acquire();
    }
    {
      auto t = timers.scope(Phase::receive);
      comm.recv(source, kResult, *incoming);
      timers.counts.bytes_received += incoming->header_bytes();
      if (incoming->rows_written) {
        incoming->pixels.clear();  // its rank wrote them into the file itself
      } else {
        incoming->pixels.resize(incoming->payload_bytes(runner.row_bytes()));
        comm.recv(source, kPixels, incoming->pixels.data(), message_count(incoming->pixels.size()));
        timers.counts.bytes_received += incoming->pixels.size();
      }
    }
    --in_flight[std::size_t(source)];
    --total_in_flight;
    {
      auto t = timers.scope(Phase::write);
      hooks.submit(*incoming);
    }
    hand_out(source);
  };
  // Between two of its own images, rank 0 answers whatever arrived.
  const auto answer_messages = [&] {
    while (auto status = comm.iprobe(mpi::any_source, mpi::any_tag)) handle_message(*status);
  };

  for (int k = 0; k < kUnitsInFlight; ++k)
    for (int r = 1; r < ranks; ++r) hand_out(r);
  while (true) {
    answer_messages();
    if (hooks.stop_requested()) stopping = true;
    const bool own_work = !stopping && !queue.empty_for(0);
    if (own_work) {
      const pipeline::WorkUnit unit = hooks.make_unit(queue.pop_for(0));
      pipeline::UnitResult* local = nullptr;
      {
        auto t = timers.scope(Phase::write);  // waiting for a free buffer is waiting for the writer
        local = &hooks.acquire();
      }
      runner.run(unit, *local, timers, ranks > 1 ? std::function<void()>(answer_messages) : std::function<void()>());
      auto t = timers.scope(Phase::write);
      hooks.submit(*local);
    } else if (total_in_flight > 0) {
      mpi::status status;
      {
        auto t = timers.scope(Phase::wait);
        status = probe_patiently(comm, mpi::any_source, mpi::any_tag);
      }
      handle_message(status);
    } else {
      break;
    }
  }
  outcome.interrupted = queue.remaining() > 0;
  for (auto& r : work_sends) wait_patiently(r);

  for (int r = 1; r < ranks; ++r) comm.send(r, kStop);
  finish_report(self, timers);
  outcome.ranks.push_back(self);
  for (int r = 1; r < ranks; ++r) {
    metrics::RankReport report;
    // A worker may have signalled an interrupt after our last look: drain it first.
    while (true) {
      mpi::status status = probe_patiently(comm, r, mpi::any_tag);
      if (status.tag() == kReport) break;
      comm.recv(r, status.tag());
    }
    comm.recv(r, kReport, report);
    outcome.ranks.push_back(report);
  }
  return outcome;
}

void run_worker(World& world, const pipeline::BatchRunner& runner, const std::function<bool()>& stop_requested,
                const std::function<void(pipeline::UnitResult&)>& write_rows, metrics::PhaseTimers& timers,
                metrics::RankReport self) {
  mpi::communicator& comm = world.impl().comm;
  std::deque<Outgoing> sending;  // at most kUnitsInFlight results on the wire
  std::vector<Outgoing> spare;
  bool reported_stop = false;

  while (true) {
    if (!reported_stop && stop_requested()) {
      comm.send(0, kInterrupt);
      reported_stop = true;
    }
    mpi::status status;
    {
      auto t = timers.scope(Phase::wait);
      status = probe_patiently(comm, 0, mpi::any_tag);
    }
    if (status.tag() == kStop) {
      comm.recv(0, kStop);
      break;
    }
    pipeline::WorkUnit unit;
    comm.recv(0, kWork, unit);

    Outgoing out;
    if (!spare.empty()) {
      out.result = std::move(spare.back().result);
      spare.pop_back();
    }
    runner.run(unit, out.result, timers);
    if (write_rows) {
      auto t = timers.scope(Phase::write);
      write_rows(out.result);  // durable before rank 0 hears of it
    }
    {
      auto t = timers.scope(Phase::send);
      sending.push_back(std::move(out));
      Outgoing& o = sending.back();
      o.header = comm.isend(0, kResult, o.result);
      timers.counts.bytes_sent += o.result.header_bytes();
      if (!o.result.rows_written) {
        o.pixels = comm.isend(0, kPixels, o.result.pixels.data(), message_count(o.result.pixels.size()));
        timers.counts.bytes_sent += o.result.pixels.size();
      }
      o.pixels_sent = !o.result.rows_written;
      while (sending.size() > std::size_t(kUnitsInFlight)) {
        sending.front().wait();
        spare.push_back(std::move(sending.front()));
        sending.pop_front();
      }
    }
  }
  {
    auto t = timers.scope(Phase::send);
    for (auto& o : sending) {
      o.wait();
    }
  }
  finish_report(self, timers);
  comm.send(0, kReport, self);
}

}  // namespace imgshard::comm
