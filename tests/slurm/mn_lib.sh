# shellcheck shell=bash
# Helpers for the multi-node Slurm tests (sourced, not run), on top of lib.sh.
#
# Every test is called as:  bash TEST.sh IMGSHARD_BINARY REPO_ROOT
# It boots a private N-node cluster with `scripts/slurm-local up --nodes N`: nodes n1..nN,
# each a network + UTS namespace of its own (a host to Open MPI and Slurm), in
# $IMGSHARD_TEST_MN_SLURM_DIR (default /tmp/imgshard-slurm-mn-test), slurmctld port
# $IMGSHARD_TEST_MN_SLURM_PORT (default 16837), bridge, veths and namespaces named
# imgsht-* on 10.77.1.0/24, so that neither the one-node test cluster (16817) nor a
# cluster made by hand (6817, imgshard-*, 10.77.0.0/24) is touched. The cluster goes
# down again on exit, failure included, taking every daemon, namespace and link with it.
# Exit 77 (skipped) when not root, or when this machine cannot make network namespaces.

# lib.sh reads these when sourced: point it at the multi-node cluster's own folder and port
IMGSHARD_TEST_SLURM_DIR=${IMGSHARD_TEST_MN_SLURM_DIR:-/tmp/imgshard-slurm-mn-test}
IMGSHARD_TEST_SLURM_PORT=${IMGSHARD_TEST_MN_SLURM_PORT:-16837}
# shellcheck source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

export IMGSHARD_SLURM_NETPREFIX=${IMGSHARD_TEST_MN_NETPREFIX:-imgsht-}
export IMGSHARD_SLURM_SUBNET=${IMGSHARD_TEST_MN_SUBNET:-10.77.1}
export IMGSHARD_SLURMD_TIMEOUT=${IMGSHARD_TEST_MN_SLURMD_TIMEOUT:-6}
unset IMGSHARD_SLURM_NODE_CPUS IMGSHARD_LAUNCHER IMGSHARD_SRUN_OPTS IMGSHARD_MPIRUN_OPTS IMGSHARD_TEST_STALL \
  IMGSHARD_TEST_PIDFILE

for t in ip nsenter unshare; do
  command -v "$t" >/dev/null 2>&1 || fail "$t is missing: install iproute2 and util-linux"
done
if ! unshare --net --uts true 2>/dev/null; then
  echo "SKIP [$TEST_NAME]: this machine does not allow new network/UTS namespaces (a container without CAP_SYS_ADMIN?)" >&2
  exit "$SKIP"
fi

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
  (exit "$rc")
  cleanup
}
trap mn_cleanup EXIT

# mn_cluster_up N: a fresh N-node cluster
mn_cluster_up() {
  local n=$1
  CLUSTER_UP=1
  "$SLURM_LOCAL" down --purge >/dev/null 2>&1 || true
  "$SLURM_LOCAL" up --nodes "$n" >/dev/null 2>"$WORK/slurm-local.log" || {
    cat "$WORK/slurm-local.log" >&2
    fail "scripts/slurm-local up --nodes $n failed"
  }
  note "local Slurm up: $n nodes ($IMGSHARD_SLURM_DIR, port $IMGSHARD_SLURM_PORT, ${IMGSHARD_SLURM_NETPREFIX}* on $IMGSHARD_SLURM_SUBNET.0/24)"
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

# the reference: a one-node mpirun -np 2 run outside Slurm
reference_run() {
  direct_run "$WORK/direct.h5" "$@"
  note "reference: mpirun -np 2 on this host"
}

assert_identical_to_reference() {
  [[ $(h5_attr "$1" complete) == 1 ]] || fail "$1 does not have complete=1"
  assert_same_h5 "$WORK/direct.h5" "$1" images paths status labels orig_shape
}
