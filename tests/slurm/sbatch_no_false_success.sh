#!/usr/bin/env bash
# slurm/imgshard.sbatch never reports success for an output that is not complete, and
# treats a step that did not run (or did not run to its end) as a failure, even when the
# launcher exits 0, as srun did once after "task 2 launch failed". Runs the batch script
# outside Slurm with a stand-in `srun` on PATH; needs no cluster and no root.
#   bash sbatch_no_false_success.sh IMGSHARD_BINARY REPO_ROOT
set -euo pipefail

TEST_NAME=sbatch_no_false_success
fail() { echo "FAIL [$TEST_NAME]: $*" >&2; exit 1; }
note() { echo "[$TEST_NAME $(date +%T)] $*" >&2; }
(($# >= 2)) || fail "usage: bash $0 IMGSHARD_BINARY REPO_ROOT"
BIN=$(realpath -- "$1")
REPO=$(realpath -- "$2")
PY=/usr/bin/python3
"$PY" -c 'import h5py, cv2' 2>/dev/null || fail "$PY lacks h5py/cv2: install python3-h5py python3-opencv"
[[ -d /usr/share/doc/opencv-doc/examples/data ]] || fail "no sample photos: install opencv-doc"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/imgshard-$TEST_NAME.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
unset SLURM_JOB_ID SLURM_JOBID SLURM_RESTART_COUNT SLURM_NTASKS SLURM_NPROCS SLURM_CPUS_PER_TASK \
  IMGSHARD_LAUNCHER IMGSHARD_SRUN_OPTS IMGSHARD_TEST_STALL IMGSHARD_TEST_PIDFILE
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

mkdir -p "$WORK/in/a" "$WORK/bin"
"$PY" - "$WORK/in/a" <<'PYEOF'
import sys, cv2
src = "/usr/share/doc/opencv-doc/examples/data/"
for i, name in enumerate(["baboon.jpg", "fruits.jpg", "home.jpg", "apple.jpg"] * 4):
    cv2.imwrite(f"{sys.argv[1]}/{i:03d}.jpg", cv2.imread(src + name))
PYEOF
opts=(-p resize=32:32 --chunk 2 --threads 1 --checkpoint-seconds 0)

# the stand-in srun: drops srun's own options, then does what $FAKE_SRUN says
cat >"$WORK/bin/srun" <<'SH'
#!/bin/bash
while (($#)) && [[ $1 == -* ]]; do shift; done
case $FAKE_SRUN in
  nothing) exit 0 ;;  # "launched" nothing, says 0
  killed-then-0)      # the run dies part-way (a rank SIGKILLed), yet srun says 0
    IMGSHARD_TEST_STALL=unit:3 "$@" &
    pid=$!
    for ((i = 0; i < 600; i++)); do
      n=$(awk 'NF >= 2 { s += $2 } END { print s + 0 }' "$FAKE_OUT.journal" 2>/dev/null || echo 0)
      ((n >= 4)) && break
      sleep 0.1
    done
    kill -KILL "$pid"; wait "$pid" 2>/dev/null
    exit 0 ;;
  run) exec "$@" ;;
esac
SH
chmod +x "$WORK/bin/srun"

# batch OUT LOG: the batch script as a plain command; prints its exit code
batch() {
  local rc=0
  PATH=$WORK/bin:$PATH IMGSHARD=$BIN FAKE_OUT=$1 bash "$REPO/slurm/imgshard.sbatch" "$WORK/in" "$1" "${opts[@]}" \
    >"$2" 2>&1 || rc=$?
  echo "$rc"
}

# 1. srun exits 0 and nothing ran: a failure, not "every image written"
rc=$(FAKE_SRUN=nothing batch "$WORK/a.h5" "$WORK/a.log")
cat "$WORK/a.log" >&2
((rc != 0)) || fail "a step that ran nothing, srun exit 0: the batch script exited 0"
grep -q 'every image written' "$WORK/a.log" && fail "a step that ran nothing was reported as 'every image written'"
grep -q 'did not run to its end' "$WORK/a.log" || fail "the log does not say the step did not run to its end"
note "srun 0 with nothing run: exit $rc, reported as a failure"

# 2. srun exits 0 but the run was killed part-way: a failure; the file resumes
rc=$(FAKE_SRUN=killed-then-0 batch "$WORK/b.h5" "$WORK/b.log")
cat "$WORK/b.log" >&2
((rc != 0)) || fail "a step killed part-way, srun exit 0: the batch script exited 0"
grep -q 'every image written' "$WORK/b.log" && fail "a step killed part-way was reported as 'every image written'"
grep -q 'is incomplete, not complete' "$WORK/b.log" || fail "the log does not say the output is incomplete"
[[ $("$PY" -c 'import h5py,sys; print(int(h5py.File(sys.argv[1],"r").attrs.get("complete",0)))' "$WORK/b.h5") == 0 ]] ||
  fail "b.h5 should be incomplete after the killed step"
note "srun 0 after a killed run: exit $rc, reported as a failure, b.h5 incomplete"

# 3. the same command again resumes and finishes: now, and only now, success
rc=$(FAKE_SRUN=run batch "$WORK/b.h5" "$WORK/b2.log")
cat "$WORK/b2.log" >&2
((rc == 0)) || fail "the resubmitted job exited $rc"
grep -q 'decision: resume' "$WORK/b2.log" || fail "the resubmitted job did not resume"
grep -q 'every image written' "$WORK/b2.log" || fail "the finished job does not say 'every image written'"
"$BIN" "${opts[@]}" "$WORK/in" -o "$WORK/ref.h5" >/dev/null 2>&1 || fail "reference run failed"
"$PY" - "$WORK/ref.h5" "$WORK/b.h5" <<'PYEOF' || fail "the resumed output differs from an uninterrupted run"
import sys, h5py
with h5py.File(sys.argv[1], "r") as a, h5py.File(sys.argv[2], "r") as b:
    assert int(b.attrs["complete"]) == 1, "not complete"
    for n in ("images", "paths", "status"):
        assert a[n][()].tobytes() == b[n][()].tobytes() if a[n].dtype.kind != "O" else list(a[n][()]) == list(b[n][()]), n
PYEOF
note "PASS: success claimed only for a complete file; the killed run resumed to identical output"
