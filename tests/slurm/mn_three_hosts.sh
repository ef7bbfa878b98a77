#!/usr/bin/env bash
# Across 3 hosts: `sbatch -N 3 -n 3` puts one rank on each of the 3 nodes (the report's
# per-rank `host` says so) and writes output bit-identical to a one-node `mpirun -np 2`
# run. The same with mpirun inside the batch script (IMGSHARD_LAUNCHER=mpirun), and with
# 2 ranks per node (-N 3 --ntasks-per-node=2).
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
}

submit_job srun -N 3 -n 3
IMGSHARD_LAUNCHER=mpirun submit_job mpirun -N 3 -n 3
submit_job two_per_node -N 3 --ntasks-per-node=2

check_job srun "n1 n2 n3"
grep -q 'running: srun --mpi=pmix --kill-on-bad-exit=1' "$WORK/srun.log" || fail "srun: the step was not started with srun --kill-on-bad-exit=1"
check_job mpirun "n1 n2 n3"
grep -q 'running: mpirun' "$WORK/mpirun.log" || fail "mpirun: the step was not started with mpirun"
check_job two_per_node "n1 n1 n2 n2 n3 n3"
[[ $(h5_attr "$WORK/two_per_node.h5" mpi_ranks) == 6 ]] || fail "two_per_node: mpi_ranks is not 6"
note "PASS: 3 hosts, srun and mpirun, 1 and 2 ranks per node, all identical to mpirun -np 2"
