#!/usr/bin/env bash
# Across 3 hosts: `sbatch -N 3 -n 3` puts one rank on each of the 3 nodes (the report's
# per-rank `host` says so) and writes output bit-identical to a one-node `mpirun -np 2`
# run. The same with mpirun inside the batch script (IMGSHARD_LAUNCHER=mpirun), and with
# 2 ranks per node (-N 3 --ntasks-per-node=2). Every rank writes its own rows (the default
# --writer ranks): each node's ranks put rows into the file (bytes_written), the ranks'
# bytes add up to the whole of /images, and rank 0 receives under 1% of it over TCP.
# The srun steps' PMIx fences run as rings across the 3 nodes (the MPI_Init barrier is one).
#   bash mn_three_hosts.sh IMGSHARD_BINARY REPO_ROOT
set -euo pipefail
# shellcheck source=mn_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/mn_lib.sh"

mn_cluster_up
make_wrapper
opts=("${OPTS[@]}")

# The three jobs go in together (they fit side by side: 1 or 2 CPUs of each node's 2),
# then each is checked: its ranks' hosts in rank order, its output against the reference.
declare -A jobs=()
submit_job() { # NAME [sbatch options]
  local name=$1
  shift
  jobs[$name]=$(submit "$WORK/$name.log" "$@" -- "$IN" "$WORK/$name.h5" "${opts[@]}" --report "$WORK/$name.json")
}
# rows_per_node NAME: checks the report's per-rank byte counts against OUT's /images and
# prints "host:bytes_written" per rank and rank 0's bytes received
rows_per_node() {
  "$PY" - "$WORK/$1.json" "$WORK/$1.h5" <<'EOF'
import json, sys, h5py
r = json.load(open(sys.argv[1]))
ranks = sorted(r["ranks"], key=lambda x: x["rank"])
with h5py.File(sys.argv[2], "r") as f:
    total = f["images"].size * f["images"].dtype.itemsize
written = sum(x["bytes_written"] for x in ranks)
bad = [x["rank"] for x in ranks[1:] if x["bytes_written"] <= 0]
if written != total:
    sys.exit(f"the ranks wrote {written} bytes of /images, which holds {total}")
if bad:
    sys.exit(f"worker ranks {bad} wrote no rows")
if ranks[0]["bytes_received"] * 100 >= total:
    sys.exit(f"rank 0 received {ranks[0]['bytes_received']} bytes, not under 1% of {total}")
print(" ".join(f"{x['host']}:{x['bytes_written']}" for x in ranks), f"rank 0 received {ranks[0]['bytes_received']} B of {total}")
EOF
}
check_job() { # NAME EXPECTED_HOSTS
  local name=$1 want=$2 job=${jobs[$1]} st hosts
  st=$(wait_job_end "$job" 120)
  [[ $st == COMPLETED ]] || fail "$name: job $job ended $st"
  grep -q 'every image written' "$WORK/$name.log" || fail "$name: the job log does not say 'every image written'"
  hosts=$(hosts_of "$WORK/$name.json" | tr '\n' ' ')
  hosts=${hosts% }
  note "$name: job $job, ranks on: $hosts"
  [[ $hosts == "$want" ]] || fail "$name: ranks ran on '$hosts', expected '$want'"
  assert_identical_to_reference "$WORK/$name.h5"
  local rows
  rows=$(rows_per_node "$name" 2>&1) || fail "$name: $rows"
  note "$name: rows written per rank (host:bytes): $rows"
}

submit_job srun -N 3 -n 3
IMGSHARD_LAUNCHER=mpirun submit_job mpirun -N 3 -n 3
submit_job two_per_node -N 3 --ntasks-per-node=2

check_job srun "n1 n2 n3"
grep -q 'running: srun --mpi=pmix --kill-on-bad-exit=1' "$WORK/srun.log" || fail "srun: the step was not started with srun --kill-on-bad-exit=1"
assert_fences_span_nodes "${jobs[srun]}" 3
check_job mpirun "n1 n2 n3"
grep -q 'running: mpirun' "$WORK/mpirun.log" || fail "mpirun: the step was not started with mpirun"
check_job two_per_node "n1 n1 n2 n2 n3 n3"
[[ $(h5_attr "$WORK/two_per_node.h5" mpi_ranks) == 6 ]] || fail "two_per_node: mpi_ranks is not 6"
assert_fences_span_nodes "${jobs[two_per_node]}" 3
note "PASS: 3 hosts, srun and mpirun, 1 and 2 ranks per node, every rank writing its rows, all identical to mpirun -np 2"
