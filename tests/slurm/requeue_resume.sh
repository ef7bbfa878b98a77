#!/usr/bin/env bash
# A job interrupted with SIGUSR1 (what --signal=B:USR1@120 sends before the time limit)
# stops cleanly (imgshard exits 4), requeues itself, resumes on its next start, and ends
# with output bit-identical to an uninterrupted run.
#   bash requeue_resume.sh IMGSHARD_BINARY REPO_ROOT
# IMGSHARD_TEST_IMAGES (default 40) sets how many images the run has.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

N=${IMGSHARD_TEST_IMAGES:-40}
cluster_up
gen_images "$WORK/in" "$N"
note "$N generated images in $WORK/in"

opts=(-p resize=64:64 --chunk 2 --threads 1)
note "pipeline: ${opts[*]}"

direct_run "$WORK/direct.h5" "${opts[@]}" "$WORK/in"

# The interrupt lands at a known moment, never by racing the clock: rank 0 stalls after its
# second unit (IMGSHARD_TEST_STALL), and only in the first start (IMGSHARD_TEST_STALL_ONCE),
# so the requeued start, which inherits the environment, runs through.
job=$(cd "$WORK" && IMGSHARD=$BIN IMGSHARD_TEST_STALL=unit:2 IMGSHARD_TEST_STALL_ONCE=$WORK/stalled-once \
  sbatch --parsable -n 2 -c 1 -t 10 -o "$WORK/job.log" "$SBATCH_SCRIPT" "$WORK/in" "$WORK/slurm.h5" "${opts[@]}")
job=${job%%;*}
note "submitted job $job"

t0=$SECONDS
until grep -q 'test stall at unit:2' "$WORK/job.log" 2>/dev/null; do
  ((SECONDS - t0 < 120)) || fail "job $job did not reach its stall point within 120 s"
  st=$(job_field "$job" JobState)
  [[ $st == PENDING || $st == RUNNING || $st == CONFIGURING ]] || fail "job $job is $st before it could be interrupted"
  sleep 0.2
done
grep -q 'imgshard exited' "$WORK/job.log" && fail "imgshard finished before it could be interrupted"
scancel -s USR1 -b "$job" || fail "scancel -s USR1 -b $job failed"
note "sent SIGUSR1 to the batch shell of job $job, rank 0 stalled after its second unit"

state=$(wait_job_end "$job" 300)
restarts=$(job_field "$job" Restarts)
note "job $job ended: JobState=$state Restarts=$restarts"
[[ $state == COMPLETED ]] || fail "job $job ended $state, expected COMPLETED"
grep -q 'received SIGUSR1' "$WORK/job.log" || fail "the batch script never got SIGUSR1"
grep -q 'imgshard exited 4' "$WORK/job.log" ||
  fail "the job log shows no exit 4 (was imgshard really interrupted?)"
grep -q 'requeueing job' "$WORK/job.log" || fail "the job log shows no requeue"
grep -q 'decision: resume' "$WORK/job.log" || fail "the restarted job did not resume"
grep -q 'imgshard exited 0' "$WORK/job.log" || fail "the restarted job did not finish with exit 0"
[[ $restarts == 1 ]] || fail "scontrol show job $job says Restarts=$restarts, expected 1"

[[ $(h5_attr "$WORK/slurm.h5" complete) == 1 ]] || fail "the requeued job's output does not have complete=1"
assert_same_h5 "$WORK/direct.h5" "$WORK/slurm.h5" images paths status
note "PASS: interrupted, requeued once, resumed, output identical to an uninterrupted run"
