# shellcheck shell=bash
# Helpers for the multi-node Slurm tests (sourced, not run), on top of lib.sh.
#
# Every test is called as:  bash TEST.sh IMGSHARD_BINARY REPO_ROOT
# Its cluster: N nodes from `scripts/slurm-local up --nodes N`, n1..nN, each a network +
# UTS namespace of its own (a host to Open MPI and Slurm), in $IMGSHARD_TEST_MN_SLURM_DIR
# (default /tmp/imgshard-slurm-mn-test), slurmctld port $IMGSHARD_TEST_MN_SLURM_PORT
# (default 16837), bridge, veths and namespaces named imgsht-* on 10.77.1.0/24, so that
# neither the one-node test cluster (16817) nor a cluster made by hand (6817, imgshard-*,
# 10.77.0.0/24) is touched.
# Under ctest, the fixture mn_cluster.sh boots one such cluster (and the shared input
# images and reference output) before the multi-node tests and takes it down after them
# all, failed or not; each test then starts from a reset cluster (no jobs, every node
# up) and leaves it reset. Run by hand without that fixture, a test boots a cluster of
# its own and takes it down on exit, failure included, with every daemon, namespace and
# link it made. Exit 77 (skipped) when not root, or when this machine cannot make
# network namespaces.

# lib.sh reads these when sourced: point it at the multi-node cluster's own folder and port
IMGSHARD_TEST_SLURM_DIR=${IMGSHARD_TEST_MN_SLURM_DIR:-/tmp/imgshard-slurm-mn-test}
IMGSHARD_TEST_SLURM_PORT=${IMGSHARD_TEST_MN_SLURM_PORT:-16837}
# shellcheck source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

export IMGSHARD_SLURM_NETPREFIX=${IMGSHARD_TEST_MN_NETPREFIX:-imgsht-}
export IMGSHARD_SLURM_SUBNET=${IMGSHARD_TEST_MN_SUBNET:-10.77.1}
export IMGSHARD_SLURMD_TIMEOUT=${IMGSHARD_TEST_MN_SLURMD_TIMEOUT:-6}
# the slurmd logs say how Slurm's PMIx plugin ran each fence (assert_fences_span_nodes)
export IMGSHARD_SLURM_PMIX_DEBUG=1
unset IMGSHARD_SLURM_NODE_CPUS IMGSHARD_LAUNCHER IMGSHARD_SRUN_OPTS IMGSHARD_MPIRUN_OPTS IMGSHARD_TEST_STALL \
  IMGSHARD_TEST_PIDFILE

for t in ip nsenter unshare; do
  command -v "$t" >/dev/null 2>&1 || fail "$t is missing: install iproute2 and util-linux"
done
if ! unshare --net --uts true 2>/dev/null; then
  echo "SKIP [$TEST_NAME]: this machine does not allow new network/UTS namespaces (a container without CAP_SYS_ADMIN?)" >&2
  exit "$SKIP"
fi

SHARED=0 # 1: the ctest fixture's cluster, reset rather than taken down
FIXTURE=$IMGSHARD_SLURM_DIR/testdata # the fixture's inputs and reference, next to its cluster
MN_NODES=3
IN=$WORK/in       # the input images (36, in 3 class folders)
REF=$WORK/ref.h5  # their reference output: mpirun -np 2 outside Slurm
# the imgshard options of every job and of the reference (the outputs must be identical)
OPTS=(-p resize=64:64 --chunk 2 --threads 1)

# On failure, the Slurm logs of every node as well (lib.sh's cleanup shows the one-node ones).
mn_cleanup() {
  local rc=$? f
  set +e
  if ((rc != 0)); then
    for f in "$IMGSHARD_SLURM_DIR"/log/slurmd-n*.log; do
      [[ -f $f ]] && { echo "--- last lines of $f" >&2; tail -n 25 "$f" >&2; }
    done
  fi
  [[ ${IMGSHARD_TEST_KEEP:-0} == 1 && -d $IMGSHARD_SLURM_DIR/log ]] && cp -r "$IMGSHARD_SLURM_DIR/log" "$WORK/slurm-log"
  if ((SHARED)); then
    mn_reset || note "warning: could not reset the shared cluster"
  fi
  (exit "$rc")
  cleanup
}
trap mn_cleanup EXIT

# The shared cluster back to a clean state: no jobs, every node up and idle.
mn_reset() {
  local jobs k t0=$SECONDS
  jobs=$(squeue -h -o %A 2>/dev/null || true)
  if [[ -n $jobs ]]; then
    # shellcheck disable=SC2086
    scancel $jobs 2>/dev/null || true
    while [[ -n $(squeue -h -o %A 2>/dev/null) ]]; do
      ((SECONDS - t0 < 60)) || { note "jobs still queued after 60 s: $(squeue -h -o '%A %T' | tr '\n' ' ')"; return 1; }
      sleep 0.5
    done
  fi
  for ((k = 1; k <= MN_NODES; k++)); do
    "$SLURM_LOCAL" node-boot "n$k" >/dev/null 2>>"$WORK/slurm-local.log" || return 1
  done
  t0=$SECONDS
  until ! sinfo -h -N -o "%T" 2>/dev/null | grep -qvx idle && [[ -n $(sinfo -h -N -o "%T" 2>/dev/null) ]]; do
    ((SECONDS - t0 < 60)) || { note "nodes not idle after 60 s: $(sinfo -h -N -o '%N:%T' | tr '\n' ' ')"; return 1; }
    sleep 0.3
  done
}

# mn_cluster_up: the fixture's cluster if it is up (reset), else a fresh one of our own;
# then the inputs and reference (the fixture's, or made here)
mn_cluster_up() {
  if [[ -e $FIXTURE/ready ]] && "$SLURM_LOCAL" status >/dev/null 2>&1; then
    SHARED=1
    mn_reset || fail "could not reset the shared $MN_NODES-node cluster in $IMGSHARD_SLURM_DIR"
    IN=$FIXTURE/in
    REF=$FIXTURE/ref.h5
    note "shared $MN_NODES-node cluster ($IMGSHARD_SLURM_DIR), reset; inputs and reference from $FIXTURE"
    return 0
  fi
  mn_boot_cluster
  mn_make_inputs "$IN" "$REF"
}

# mn_boot_cluster: a fresh cluster, taken down when the script exits
mn_boot_cluster() {
  CLUSTER_UP=1
  "$SLURM_LOCAL" down --purge >/dev/null 2>&1 || true
  "$SLURM_LOCAL" up --nodes "$MN_NODES" >/dev/null 2>"$WORK/slurm-local.log" || {
    cat "$WORK/slurm-local.log" >&2
    fail "scripts/slurm-local up --nodes $MN_NODES failed"
  }
  note "local Slurm up: $MN_NODES nodes ($IMGSHARD_SLURM_DIR, port $IMGSHARD_SLURM_PORT, ${IMGSHARD_SLURM_NETPREFIX}* on $IMGSHARD_SLURM_SUBNET.0/24)"
}

# mn_make_inputs DIR REF: 36 images, and the reference output of a one-node mpirun -np 2
mn_make_inputs() {
  gen_images "$1" 36
  direct_run "$2" "${OPTS[@]}" "$1"
  note "reference: mpirun -np 2 on this host, $2"
}

# The imgshard that the jobs run: the binary, behind a wrapper that sets the stall hook
# (IMGSHARD_TEST_STALL=$STALL_FIRST) on a job's first start only, so that a requeued start
# runs through. Every rank also notes "RANK PID HOST" in $WORK/pids (IMGSHARD_TEST_PIDFILE).
make_wrapper() {
  cat >"$WORK/imgshard" <<EOF
#!/bin/bash
if [[ \${SLURM_RESTART_COUNT:-0} == 0 && -n \${STALL_FIRST:-} ]]; then
  export IMGSHARD_TEST_STALL=\$STALL_FIRST
fi
export IMGSHARD_TEST_PIDFILE=$WORK/pids
exec "$BIN" "\$@"
EOF
  chmod +x "$WORK/imgshard"
}

# submit LOG [sbatch options] -- [imgshard.sbatch arguments]: prints the job id
submit() {
  local log=$1 sb=() job
  shift
  while (($#)) && [[ $1 != -- ]]; do sb+=("$1"); shift; done
  shift
  job=$(cd "$WORK" && IMGSHARD=$WORK/imgshard sbatch --parsable -t 10 -o "$log" "${sb[@]}" "$SBATCH_SCRIPT" "$@") ||
    fail "sbatch ${sb[*]} failed"
  echo "${job%%;*}"
}

# wait_log FILE PATTERN SECONDS JOB: until FILE has a line matching PATTERN (grep -E);
# fails if the job ends first, or after SECONDS
wait_log() {
  local f=$1 pat=$2 limit=$3 job=$4 t0=$SECONDS st
  until grep -qE -- "$pat" "$f" 2>/dev/null; do
    if ((SECONDS - t0 >= limit)); then
      fail "job $job: no line matching '$pat' in $(basename -- "$f") within $limit s"
    fi
    st=$(job_field "$job" JobState)
    case $st in
      COMPLETED | FAILED | CANCELLED | TIMEOUT | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE)
        grep -qE -- "$pat" "$f" 2>/dev/null && return 0
        fail "job $job ended ($st) before its log showed '$pat'" ;;
    esac
    sleep 0.3
  done
}

# wait_journal OUT ROWS SECONDS: until OUT.journal lists at least ROWS rows, i.e. the
# output has been flushed with that much work in it (a SIGKILL then leaves it resumable)
wait_journal() {
  local out=$1 rows=$2 limit=$3 t0=$SECONDS n
  while :; do
    n=$(awk 'NF >= 2 { s += $2 } END { print s + 0 }' "$out.journal" 2>/dev/null || echo 0)
    ((n >= rows)) && return 0
    ((SECONDS - t0 < limit)) || fail "$out.journal lists $n rows, not $rows, within $limit s"
    sleep 0.2
  done
}

# rank_line RANK [START]: "RANK PID HOST" of that rank in the START-th start (1 = first)
rank_line() {
  awk -v r="$1" -v k="${2:-1}" '$1 == r { if (++seen == k) { print; exit } }' "$WORK/pids"
}

# hosts_of REPORT: the per-rank hosts of an imgshard --report, one line per rank, in rank order
hosts_of() {
  "$PY" - "$1" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
for x in sorted(r["ranks"], key=lambda x: x["rank"]):
    print(x["host"])
EOF
}

# assert_success_claimed_once LOG: "every image written" appears only on the job's last
# start, once, after the file really became complete
assert_success_claimed_once() {
  local log=$1 n
  n=$(grep -c 'every image written' "$log" || true)
  [[ $n == 1 ]] || fail "the job log says 'every image written' $n times (expected once, at the end)"
  [[ $(grep -E 'imgshard\.sbatch\[' "$log" | tail -n 1) == *"every image written"* ]] ||
    fail "'every image written' is not the job's last word"
}

# assert_fences_span_nodes JOB NODES: no PMIx fence of the job's srun steps ran as a tree
# (which completed on each node alone: why, in slurm/README.md), and in one of its steps
# the MPI_Init barrier (the step's second fence, seq=1) ran as a ring across NODES nodes.
# Reads the slurmd logs (IMGSHARD_SLURM_PMIX_DEBUG=1).
assert_fences_span_nodes() {
  local job=$1 nodes=$2 logs tree widest
  logs=("$IMGSHARD_SLURM_DIR"/log/slurmd-n*.log)
  tree=$(grep -h "\[$job\.[0-9]*\].*COLL_FENCE_TREE" "${logs[@]}" | head -n 1 || true)
  [[ -z $tree ]] || fail "job $job: Slurm ran a PMIx fence as a tree (each node alone): $tree"
  # per step, the number of nodes whose log has its barrier done; the widest step
  widest=$(grep -Ho "\[$job\.[0-9]*\].*COLL_FENCE_RING seq=1 is DONE" "${logs[@]}" |
    sed -E 's/^.*slurmd-(n[0-9]+)\.log:\[([0-9.]+)\].*$/\2 \1/' | sort -u |
    awk '{n[$1]++} END {m = 0; for (s in n) if (n[s] > m) m = n[s]; print m}' || true)
  [[ $widest == "$nodes" ]] ||
    fail "job $job: the MPI_Init barrier ran as a ring across ${widest:-0} nodes at most, not $nodes (no PMIx debug in the slurmd logs?)"
}

assert_identical_to_reference() {
  [[ $(h5_attr "$1" complete) == 1 ]] || fail "$1 does not have complete=1"
  assert_same_h5 "$REF" "$1" images paths status labels orig_shape
}
