# shellcheck shell=bash
# Shared helpers for the Slurm tests (sourced, not run).
#
# Every test is called as:  bash TEST.sh IMGSHARD_BINARY REPO_ROOT
# It boots a private one-node Slurm with scripts/slurm-local (state in
# $IMGSHARD_TEST_SLURM_DIR, default /tmp/imgshard-slurm-test, slurmctld port
# $IMGSHARD_TEST_SLURM_PORT, default 16817, so a cluster from `scripts/slurm-local up`
# is left alone), and takes it down again on exit, failure included.
# Exit 77 (skipped) when not root: slurmd needs root. IMGSHARD_TEST_KEEP=1 keeps
# the temporary folder (images, outputs, job logs) for a look after a failure.

set -euo pipefail

SKIP=77
TEST_NAME=$(basename -- "$0" .sh)

fail() { echo "FAIL [$TEST_NAME]: $*" >&2; exit 1; }
note() { echo "[$TEST_NAME $(date +%T)] $*" >&2; }

(($# >= 2)) || fail "usage: bash $0 IMGSHARD_BINARY REPO_ROOT"
BIN=$(realpath -- "$1")
REPO=$(realpath -- "$2")
SBATCH_SCRIPT=$REPO/slurm/imgshard.sbatch
SLURM_LOCAL=$REPO/scripts/slurm-local
PY=/usr/bin/python3 # Debian's python3 has h5py, numpy and cv2; the first python3 on PATH may not

if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP [$TEST_NAME]: needs root (slurmd starts jobs as their owner)" >&2
  exit "$SKIP"
fi
[[ -x $BIN ]] || fail "imgshard binary $BIN is missing or not executable"
[[ -f $SBATCH_SCRIPT ]] || fail "$SBATCH_SCRIPT is missing"
[[ -x $SLURM_LOCAL ]] || fail "$SLURM_LOCAL is missing or not executable"
"$PY" -c 'import h5py, numpy' 2>/dev/null || fail "$PY lacks h5py/numpy: install python3-h5py"

# own variables, so that an IMGSHARD_SLURM_DIR exported for a hand-made cluster never
# points the tests (which purge their folder) at it
export IMGSHARD_SLURM_DIR=${IMGSHARD_TEST_SLURM_DIR:-/tmp/imgshard-slurm-test}
export IMGSHARD_SLURM_PORT=${IMGSHARD_TEST_SLURM_PORT:-16817}
export SLURM_CONF=$IMGSHARD_SLURM_DIR/slurm.conf
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Slurm client variables from an enclosing job would leak into sbatch/srun
unset SLURM_JOB_ID SLURM_JOBID SLURM_NTASKS SLURM_NPROCS SLURM_CPUS_PER_TASK IMGSHARD_REPO

WORK=$(mktemp -d "${TMPDIR:-/tmp}/imgshard-slurm-$TEST_NAME.XXXXXX")
CLUSTER_UP=0

cleanup() {
  local rc=$?
  set +e
  if ((rc != 0)); then
    note "failed (exit $rc); job logs and Slurm logs follow"
    for f in "$WORK"/*.log; do [[ -f $f ]] && { echo "--- $f" >&2; cat "$f" >&2; }; done
    for f in "$IMGSHARD_SLURM_DIR"/log/slurmctld.log "$IMGSHARD_SLURM_DIR"/log/slurmd.log; do
      [[ -f $f ]] && { echo "--- last lines of $f" >&2; tail -n 25 "$f" >&2; }
    done
  fi
  ((CLUSTER_UP)) && "$SLURM_LOCAL" down --purge >/dev/null 2>&1
  if [[ ${IMGSHARD_TEST_KEEP:-0} == 1 ]]; then
    note "kept $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cluster_up() {
  CLUSTER_UP=1
  # a cluster left over from an interrupted earlier run of the tests goes first
  "$SLURM_LOCAL" down --purge >/dev/null 2>&1 || true
  "$SLURM_LOCAL" up >/dev/null || fail "scripts/slurm-local up failed"
  note "local Slurm up ($IMGSHARD_SLURM_DIR, port $IMGSHARD_SLURM_PORT)"
}

# copy_photos DIR [N]: N (default 24) real photos from OpenCV's sample data, in two class folders
copy_photos() {
  local dst=$1 n=${2:-24}
  gen_images "$dst" "$n" copy
}

# gen_images DIR N [copy]: N images made from the real photos in OpenCV's sample data
# (opencv-doc): crops, resizes and flips, JPEG (some PNG), in class folders. Deterministic.
gen_images() {
  local dst=$1 n=$2 mode=${3:-vary}
  local src=/usr/share/doc/opencv-doc/examples/data
  [[ -d $src ]] || fail "no sample photos in $src: install opencv-doc"
  "$PY" - "$src" "$dst" "$n" "$mode" <<'EOF' || fail "could not generate test images"
import os, sys, random
import cv2
src, dst, n, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
names = ["aero1.jpg", "aloeL.jpg", "apple.jpg", "baboon.jpg", "building.jpg", "butterfly.jpg",
         "ela_original.jpg", "fruits.jpg", "home.jpg", "leuvenA.jpg", "messi5.jpg", "orange.jpg",
         "pca_test1.jpg", "squirrel_cls.jpg", "starry_night.jpg", "stuff.jpg"]
photos = [(nm, cv2.imread(os.path.join(src, nm), cv2.IMREAD_COLOR)) for nm in names]
photos = [(nm, im) for nm, im in photos if im is not None]
if not photos:
    sys.exit("no readable photos in " + src)
rng = random.Random(12345)
for i in range(n):
    nm, im = photos[i % len(photos)]
    cls = "class_%d" % (i % 3)
    os.makedirs(os.path.join(dst, cls), exist_ok=True)
    stem = "%05d_%s" % (i, os.path.splitext(nm)[0])
    if mode == "copy":
        cv2.imwrite(os.path.join(dst, cls, stem + ".jpg"), im, [cv2.IMWRITE_JPEG_QUALITY, 92])
        continue
    h, w = im.shape[:2]
    f = rng.uniform(0.6, 1.0)
    ch, cw = max(16, int(h * f)), max(16, int(w * f))
    y, x = rng.randint(0, h - ch), rng.randint(0, w - cw)
    out = im[y:y + ch, x:x + cw]
    scale = rng.uniform(0.9, 1.6)
    out = cv2.resize(out, (max(16, int(cw * scale)), max(16, int(ch * scale))),
                     interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    if rng.random() < 0.5:
        out = cv2.flip(out, 1)
    if i % 10 == 9:
        cv2.imwrite(os.path.join(dst, cls, stem + ".png"), out)
    else:
        cv2.imwrite(os.path.join(dst, cls, stem + ".jpg"), out,
                    [cv2.IMWRITE_JPEG_QUALITY, rng.randint(80, 95)])
EOF
}

# direct_run OUT [imgshard options] INPUT: the reference, with mpirun -np 2 outside Slurm
direct_run() {
  local out=$1
  shift
  local rc=0
  timeout 240 mpirun -np 2 --oversubscribe --bind-to none "$BIN" "$@" -o "$out" >"$WORK/direct.log" 2>&1 || rc=$?
  ((rc == 0)) || { cat "$WORK/direct.log" >&2; fail "direct mpirun -np 2 run exited $rc"; }
}

# h5_attr FILE NAME: prints a root attribute (empty if absent)
h5_attr() {
  "$PY" - "$1" "$2" <<'EOF'
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    v = f.attrs.get(sys.argv[2])
    print("" if v is None else (v.decode() if isinstance(v, bytes) else v))
EOF
}

# assert_same_h5 A B DATASET...: each dataset has the same type, shape and bytes in A and B
assert_same_h5() {
  "$PY" - "$@" <<'EOF' || fail "HDF5 outputs differ (see above)"
import sys, h5py, numpy as np
a, b, names = sys.argv[1], sys.argv[2], sys.argv[3:]
bad = 0
with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
    for n in names:
        if n not in fa or n not in fb:
            print(f"  {n}: missing in {'first' if n not in fa else 'second'} file"); bad += 1; continue
        da, db = fa[n], fb[n]
        if da.shape != db.shape or da.dtype != db.dtype:
            print(f"  {n}: {da.dtype}{da.shape} vs {db.dtype}{db.shape}"); bad += 1; continue
        if h5py.check_string_dtype(da.dtype) is not None:
            same = list(da[()]) == list(db[()])
        elif da.ndim == 0:
            same = da[()].tobytes() == db[()].tobytes()
        else:  # in slices, so that big /images never sit in memory twice
            same = all(da[i:i + 16].tobytes() == db[i:i + 16].tobytes()
                       for i in range(0, da.shape[0], 16))
        print(f"  {n}: {da.dtype}{da.shape} {'identical' if same else 'DIFFERENT'}")
        bad += not same
sys.exit(1 if bad else 0)
EOF
}

# job_field JOB FIELD: a field of `scontrol show job` (e.g. JobState, Restarts)
job_field() {
  scontrol show job "$1" 2>/dev/null | tr ' ' '\n' | sed -n "/^$2=/{s///p;q}" || true
}

# wait_job_end JOB SECONDS: wait until the job has finished (not pending, running or
# requeued); prints its final state
wait_job_end() {
  local job=$1 limit=$2 t0 st
  t0=$SECONDS
  while ((SECONDS - t0 < limit)); do
    st=$(job_field "$job" JobState)
    case $st in
      COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE | PREEMPTED)
        echo "$st"; return 0 ;;
    esac
    sleep 1
  done
  scancel "$job" 2>/dev/null || true
  fail "job $job did not finish within $limit s (last state: ${st:-unknown})"
}
