#!/usr/bin/env bash
# `cmake --install BUILD --prefix P` to a temporary P, then, from a folder outside any
# checkout, with neither IMGSHARD nor the checkout on PATH or PYTHONPATH:
#   - P/bin/imgshard runs a job on data/sample (mpirun -np 1) to a complete file;
#   - the Python package imports from P/PYDIR alone (PYTHONPATH=that folder: Debian's
#     python3 reads it only for P=/usr/local) and reads the file; P/bin/imgshard-inspect too;
#   - P/DATADIR/slurm/imgshard.sbatch and scaling-study.sbatch take imgshard from PATH
#     (--print-binary), IMGSHARD still wins, no imgshard anywhere is an error naming the
#     ways out, and the checkout's own script still prefers the checkout's build/bin;
#   - the installed imgshard.sbatch runs a job outside Slurm (IMGSHARD_LAUNCHER=mpirun)
#     with the imgshard it found on PATH.
# P is removed at the end, passed or failed.
#   bash test_install.sh CMAKE BUILD_DIR SOURCE_DIR BINDIR DATADIR PYDIR
# (BINDIR, DATADIR, PYDIR: the install folders relative to the prefix, as CMake has them)
set -euo pipefail

TEST_NAME=install
fail() { echo "FAIL [$TEST_NAME]: $*" >&2; exit 1; }
note() { echo "[$TEST_NAME $(date +%T)] $*" >&2; }
(($# == 6)) || fail "usage: bash $0 CMAKE BUILD_DIR SOURCE_DIR BINDIR DATADIR PYDIR"
CMAKE=$1
BUILD=$(realpath -- "$2")
SRC=$(realpath -- "$3")
BINDIR=$4 DATADIR=$5 PYDIR=$6
for d in "$BINDIR" "$DATADIR" "$PYDIR"; do
  if [[ $d == /* ]]; then
    echo "SKIP: install folder $d is absolute, so it cannot go to a temporary prefix"
    exit 77
  fi
done
PY=/usr/bin/python3

WORK=$(mktemp -d "${TMPDIR:-/tmp}/imgshard-$TEST_NAME.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
P=$WORK/prefix
# Nothing of the checkout or of the test's environment may help the prefix along.
unset IMGSHARD IMGSHARD_REPO IMGSHARD_SOURCE_DIR IMGSHARD_LAUNCHER IMGSHARD_SRUN_OPTS IMGSHARD_MPIRUN_OPTS \
  PYTHONPATH SLURM_JOB_ID SLURM_JOBID SLURM_SUBMIT_DIR SLURM_RESTART_COUNT SLURM_NTASKS SLURM_NPROCS \
  SLURM_CPUS_PER_TASK
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
cd "$WORK"

note "cmake --install $BUILD --prefix $P"
"$CMAKE" --install "$BUILD" --prefix "$P" >"$WORK/install.log" 2>&1 ||
  { cat "$WORK/install.log" >&2; fail "cmake --install failed"; }
SLURM_DIR=$P/$DATADIR/slurm
for f in "$P/$BINDIR/imgshard" "$P/$BINDIR/imgshard-inspect" "$SLURM_DIR/imgshard.sbatch" \
  "$SLURM_DIR/scaling-study.sbatch" "$P/$DATADIR/scripts/scaling-study"; do
  [[ -f $f && -x $f ]] || fail "$f is not installed, or not executable (install log: $(tr '\n' ' ' <"$WORK/install.log"))"
done
[[ -f $P/$PYDIR/imgshard/__init__.py ]] || fail "the Python package is not in $P/$PYDIR"
BIN=$P/$BINDIR/imgshard
SITE=$P/$PYDIR
# The installed scaling study is a command line over the installed package (imgshard.study).
(cd / && PYTHONPATH=$SITE "$PY" "$P/$DATADIR/scripts/scaling-study" --help >/dev/null) ||
  fail "the installed scripts/scaling-study does not run over the package in $SITE"

# --- P/bin/imgshard runs a job; the installed package reads it back
opts=(-p resize=32:32 --threads 1 --progress none)
note "mpirun -np 1 $BIN data/sample"
mpirun -np 1 "$BIN" "$SRC/data/sample" -o "$WORK/direct.h5" "${opts[@]}" >"$WORK/direct.log" 2>&1 ||
  { cat "$WORK/direct.log" >&2; fail "P/bin/imgshard on data/sample failed"; }
nimages=$(find "$SRC/data/sample" -type f | grep -ciE '\.(jpe?g|png|webp|tiff?|bmp|p[gp]m)$')
read_back() { # read_back FILE: "PACKAGE_FILE IMAGES FAILED SHA1(/images)", with P's package only
  PYTHONPATH=$SITE "$PY" - "$1" <<'PYEOF'
import hashlib, sys
import imgshard
with imgshard.open(sys.argv[1]) as f:
    digest = hashlib.sha1(f.h5["images"][...].tobytes()).hexdigest()
    print(imgshard.__file__, len(f), len(f.failed), digest)
PYEOF
}
direct=$(read_back "$WORK/direct.h5") || fail "the installed package (PYTHONPATH=$SITE) cannot read the file"
[[ $direct == "$SITE/imgshard/__init__.py $nimages 0 "* ]] ||
  fail "read back '$direct', expected the package from $SITE and $nimages images, none failed"
# imgshard-inspect finds its package beside itself, with no PYTHONPATH at all
"$P/$BINDIR/imgshard-inspect" "$WORK/direct.h5" >"$WORK/inspect.log" 2>&1 ||
  { cat "$WORK/inspect.log" >&2; fail "P/bin/imgshard-inspect failed"; }
grep -q "$nimages ok, 0 failed" "$WORK/inspect.log" ||
  { cat "$WORK/inspect.log" >&2; fail "imgshard-inspect does not say '$nimages ok, 0 failed'"; }

# --- which imgshard the batch scripts pick. TOOLS: a PATH with what the scripts need up to
# their lookup, and no imgshard.
mkdir "$WORK/tools"
for t in dirname date sed; do ln -s "$(type -P "$t")" "$WORK/tools/$t"; done
print_binary() { # print_binary SCRIPT PATH [VAR=VALUE...]: the script's --print-binary
  local script=$1 path=$2
  shift 2
  env PATH="$path" "$@" "$BASH" "$script" --print-binary
}
for s in imgshard.sbatch scaling-study.sbatch; do
  got=$(print_binary "$SLURM_DIR/$s" "$P/$BINDIR:$PATH" 2>&1) || fail "installed $s --print-binary: $got"
  [[ $got == "$BIN" ]] || fail "installed $s picks '$got', not $BIN (first on PATH)"
  got=$(print_binary "$SLURM_DIR/$s" "$P/$BINDIR:$PATH" IMGSHARD=/bin/true 2>&1) || fail "$s with IMGSHARD: $got"
  [[ $got == /bin/true ]] || fail "installed $s ignores IMGSHARD: picks '$got'"
  if got=$(print_binary "$SLURM_DIR/$s" "$WORK/tools" 2>&1); then
    fail "installed $s with no imgshard on PATH picks '$got' instead of failing"
  fi
  [[ $got == *"no imgshard to run"*"set IMGSHARD"* ]] || fail "installed $s, no imgshard anywhere, says: $got"
  # the checkout's script: the checkout's build/bin/imgshard when there is one, else PATH
  want=$BIN
  [[ -x $SRC/build/bin/imgshard ]] && want=$SRC/build/bin/imgshard
  got=$(print_binary "$SRC/slurm/$s" "$P/$BINDIR:$PATH" 2>&1) || fail "checkout's $s --print-binary: $got"
  [[ $got == "$want" ]] || fail "the checkout's $s picks '$got', not $want"
done

# --- the installed imgshard.sbatch runs a job outside Slurm, with imgshard from PATH
note "installed imgshard.sbatch, IMGSHARD_LAUNCHER=mpirun -np 1"
rc=0
PATH=$P/$BINDIR:$PATH IMGSHARD_LAUNCHER=mpirun IMGSHARD_MPIRUN_OPTS="-np 1" \
  "$SLURM_DIR/imgshard.sbatch" "$SRC/data/sample" "$WORK/sbatch.h5" "${opts[@]}" >"$WORK/sbatch.log" 2>&1 || rc=$?
((rc == 0)) || { cat "$WORK/sbatch.log" >&2; fail "installed imgshard.sbatch exited $rc"; }
grep -qF "imgshard: $BIN" "$WORK/sbatch.log" || { cat "$WORK/sbatch.log" >&2; fail "the job did not run $BIN"; }
got=$(read_back "$WORK/sbatch.h5") || fail "cannot read the batch job's output"
[[ $got == "$direct" ]] || fail "the batch job's output reads back as '$got', the direct run's as '$direct'"
echo "PASS [$TEST_NAME]: $P: imgshard ran, the package imported from $SITE, the batch scripts took imgshard from PATH"
