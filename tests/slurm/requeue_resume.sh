#!/usr/bin/env bash
# A job interrupted with SIGUSR1 (what --signal=B:USR1@120 sends before the time limit)
# stops cleanly (imgshard exits 4), requeues itself, resumes on its next start, and ends
# with output bit-identical to an uninterrupted run.
#   bash requeue_resume.sh IMGSHARD_BINARY REPO_ROOT
# IMGSHARD_TEST_IMAGES (default 300) sets how many images make the run long enough to
# interrupt.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

N=${IMGSHARD_TEST_IMAGES:-300}
cluster_up
gen_images "$WORK/in" "$N"
note "$N generated images in $WORK/in"

# a pipeline heavy enough that the run lasts a while; gauss where this build has it
pipeline=resize=512:512
kernels=$("$BIN" --list-kernels 2>/dev/null || true)
if grep -qw '^gauss' <<<"$kernels"; then pipeline+=,gauss=sigma=3; fi
opts=(-p "$pipeline" --chunk 1 --threads 1)
note "pipeline: ${opts[*]}"

t0=$SECONDS
direct_run "$WORK/direct.h5" "${opts[@]}" "$WORK/in"
ref_s=$((SECONDS - t0))
note "uninterrupted mpirun -np 2 reference took ${ref_s}s"
((ref_s >= 3)) || note "warning: the reference run is short (${ref_s}s); raise IMGSHARD_TEST_IMAGES if the interrupt misses"

job=$(cd "$WORK" && IMGSHARD=$BIN sbatch --parsable -n 2 -c 1 -t 10 -o "$WORK/job.log" \
  "$SBATCH_SCRIPT" "$WORK/in" "$WORK/slurm.h5" "${opts[@]}")
job=${job%%;*}
note "submitted job $job"

# wait until imgshard is at work: the step is running and OUT exists
t0=$SECONDS
until grep -q 'running: srun' "$WORK/job.log" 2>/dev/null && [[ -e $WORK/slurm.h5 ]]; do
  ((SECONDS - t0 < 120)) || fail "job $job did not start imgshard within 120 s"
  st=$(job_field "$job" JobState)
  [[ $st == PENDING || $st == RUNNING || $st == CONFIGURING ]] || fail "job $job is $st before it could be interrupted"
  sleep 0.2
done
sleep 1
grep -q 'imgshard exited' "$WORK/job.log" && fail "imgshard finished before it could be interrupted: raise IMGSHARD_TEST_IMAGES"
scancel -s USR1 -b "$job" || fail "scancel -s USR1 -b $job failed"
note "sent SIGUSR1 to the batch shell of job $job"

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
