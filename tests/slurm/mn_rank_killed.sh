#!/usr/bin/env bash
# A worker rank dies while its node lives (its imgshard process SIGKILLed, as the OOM
# killer or a crash would): the job does not hang. The launcher ends the step by itself
# (srun --kill-on-bad-exit; mpirun aborts on a dead rank), the output is left resumable,
# the batch script requeues the job because that start made progress, and the restart
# resumes (skipping the journaled rows) to output bit-identical to an uninterrupted run.
# On 3 nodes, with srun; then with mpirun inside the batch script, where only the
# step's end is checked (the rest is the same script).
#   bash mn_rank_killed.sh IMGSHARD_BINARY REPO_ROOT
set -euo pipefail
# shellcheck source=mn_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/mn_lib.sh"

mn_cluster_up
make_wrapper
opts=("${OPTS[@]}" --checkpoint-seconds 0)

# kill_a_worker NAME FULL: one job, rank 1 SIGKILLed mid-run. FULL=1: the job requeues
# itself and must end COMPLETED and identical; FULL=0 (IMGSHARD_MAX_REQUEUES=0): only
# the step's end is checked, the job then fails with the output left resumable.
kill_a_worker() {
  local name=$1 full=$2 job line pid host t0 st ended restarts t1
  rm -f "$WORK/pids"
  job=$(STALL_FIRST=unit:3 submit "$WORK/$name.log" -N 3 -n 3 -- "$IN" "$WORK/$name.h5" "${opts[@]}")
  # rank 0 sleeps after its 3rd unit: the run is mid-way, at a known point
  wait_log "$WORK/$name.log" 'imgshard: test stall at unit:3' 90 "$job"
  wait_journal "$WORK/$name.h5" 2 30
  line=$(rank_line 1)
  read -r _ pid host <<<"$line"
  [[ -n $pid && $host == n2 ]] || fail "$name: rank 1 is '$line', expected a process on n2"
  kill -0 "$pid" 2>/dev/null || fail "$name: rank 1 (pid $pid) is not running"
  kill -KILL "$pid"
  t0=$SECONDS
  note "$name: job $job: SIGKILLed rank 1 (pid $pid on $host)"
  # the step must end by itself, not at the time limit
  wait_log "$WORK/$name.log" 'imgshard exited [0-9]+' 60 "$job"
  ended=$((SECONDS - t0))
  grep -qE 'imgshard exited (1[3-9][0-9]|2[0-9][0-9]) .*a rank was killed' "$WORK/$name.log" ||
    fail "$name: the log does not report a step that lost a rank: $(grep 'imgshard exited' "$WORK/$name.log")"
  grep -q 'every image written' "$WORK/$name.log" && fail "$name: 'every image written' after a lost rank"
  if ((full == 0)); then
    st=$(wait_job_end "$job" 60)
    note "$name: step ended ${ended}s after the kill; JobState=$st (no requeue: IMGSHARD_MAX_REQUEUES=0)"
    [[ $st == FAILED ]] || fail "$name: job $job ended $st, expected FAILED"
    grep -q 'resubmit to resume' "$WORK/$name.log" || fail "$name: the log does not say how to resume"
    [[ $(h5_attr "$WORK/$name.h5" complete) == 0 ]] || fail "$name: the output should be incomplete"
    return 0
  fi
  grep -q 'requeueing to resume' "$WORK/$name.log" || fail "$name: the job did not requeue itself after the lost rank"
  t1=$SECONDS
  st=$(wait_job_end "$job" 180)
  restarts=$(job_field "$job" Restarts)
  note "$name: step ended ${ended}s after the kill; requeue to finish $((SECONDS - t1))s; JobState=$st Restarts=$restarts"
  [[ $st == COMPLETED ]] || fail "$name: job $job ended $st"
  [[ $restarts == 1 ]] || fail "$name: Restarts=$restarts, expected 1"
  grep -q 'decision: resume' "$WORK/$name.log" || fail "$name: the restarted job did not resume"
  grep -qE '\(([1-9][0-9]*) already done\)' "$WORK/$name.log" ||
    fail "$name: the resumed run did not keep the journaled rows of the first start"
  assert_success_claimed_once "$WORK/$name.log"
  assert_identical_to_reference "$WORK/$name.h5"
}

kill_a_worker srun 1
IMGSHARD_LAUNCHER=mpirun IMGSHARD_MAX_REQUEUES=0 kill_a_worker mpirun 0
grep -q 'mpirun noticed that process rank 1' "$WORK/mpirun.log" || fail "mpirun: Open MPI did not report the dead rank"
note "PASS: a dead worker ends the step (srun and mpirun); the srun job requeues, resumes, identical output"
