#!/usr/bin/env bash
# The time-limit warning on a 3-node job: `scancel -s USR1 -b` reaches the batch script
# on the first node, which passes it on to srun, which hands it to the ranks on all
# three hosts. imgshard stops cleanly (exit 4), the job requeues itself, the next start
# resumes, and the output is bit-identical to an uninterrupted run.
#   bash mn_usr1_requeue.sh IMGSHARD_BINARY REPO_ROOT
set -euo pipefail
# shellcheck source=mn_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/mn_lib.sh"

mn_cluster_up
make_wrapper
opts=("${OPTS[@]}")

log=$WORK/job.log
job=$(STALL_FIRST=unit:3 submit "$log" -N 3 -n 3 -- "$IN" "$WORK/out.h5" "${opts[@]}")
wait_log "$log" 'imgshard: test stall at unit:3' 90 "$job"
scancel -s USR1 -b "$job" || fail "scancel -s USR1 -b $job failed"
note "job $job: SIGUSR1 sent to the batch shell while rank 0 is mid-run"

st=$(wait_job_end "$job" 180)
restarts=$(job_field "$job" Restarts)
note "job $job ended: JobState=$st Restarts=$restarts"
[[ $st == COMPLETED ]] || fail "job $job ended $st, expected COMPLETED"
grep -q 'received SIGUSR1' "$log" || fail "the batch script never got SIGUSR1"
grep -q 'imgshard exited 4: interrupted cleanly' "$log" || fail "imgshard did not stop cleanly (exit 4)"
grep -q 'requeueing job' "$log" || fail "the job did not requeue itself"
grep -q 'decision: resume' "$log" || fail "the restarted job did not resume"
grep -qE '\(([1-9][0-9]*) already done\)' "$log" || fail "the resumed run did not keep the rows of the first start"
[[ $restarts == 1 ]] || fail "Restarts=$restarts, expected 1"
assert_success_claimed_once "$log"
assert_identical_to_reference "$WORK/out.h5"
note "PASS: USR1 on 3 nodes -> exit 4 -> requeue -> resume -> identical output"
