#!/usr/bin/env bash
# Resubmitting a job whose OUT is already complete (complete=1) does nothing and exits 0:
# no step is started and the file is not touched.
#   bash complete_noop.sh IMGSHARD_BINARY REPO_ROOT
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

cluster_up
copy_photos "$WORK/in" 12

submit() { # submit LOG: run the job to its end, return sbatch --wait's exit status
  (cd "$WORK" && IMGSHARD=$BIN timeout 240 sbatch --wait --quiet -n 2 -t 5 -o "$1" \
    "$SBATCH_SCRIPT" "$WORK/in" "$WORK/out.h5")
}

rc=0
submit "$WORK/first.log" || rc=$?
((rc == 0)) || fail "first job exited $rc"
[[ $(h5_attr "$WORK/out.h5" complete) == 1 ]] || fail "first job's output does not have complete=1"
before=$(stat -c '%Y %s' "$WORK/out.h5")$(sha256sum <"$WORK/out.h5")
note "first job wrote a complete $WORK/out.h5"

sleep 1.1 # so that a rewrite would change the mtime
rc=0
submit "$WORK/second.log" || rc=$?
((rc == 0)) || fail "resubmitted job exited $rc, expected 0"
grep -q 'decision: nothing to do' "$WORK/second.log" ||
  fail "resubmitted job's log does not say there is nothing to do"
if grep -q 'running: srun' "$WORK/second.log"; then
  fail "resubmitted job started imgshard although OUT was complete"
fi
after=$(stat -c '%Y %s' "$WORK/out.h5")$(sha256sum <"$WORK/out.h5")
[[ $before == "$after" ]] || fail "the complete output changed when the job was resubmitted"
note "PASS: resubmitted job exited 0 and left the complete output alone"
