#!/usr/bin/env bash
# A worker's whole node dies (scripts/slurm-local node-kill: its link goes down, then every
# process in its namespace, slurmd included, is SIGKILLed). Slurm declares the node DOWN
# after SlurmdTimeout, ends the job "DUE TO NODE FAILURE" and requeues it (--requeue);
# nothing hangs. The job waits for 3 nodes; the node comes back (node-boot: its TmpFS and
# the killed step's PMIx files emptied, as a reboot would), the job restarts, resumes and
# ends bit-identical to an uninterrupted run, and its log says "every image written" only
# once, at the very end.
#   bash mn_node_killed.sh IMGSHARD_BINARY REPO_ROOT
set -euo pipefail
# shellcheck source=mn_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/mn_lib.sh"

mn_cluster_up
make_wrapper
opts=("${OPTS[@]}" --checkpoint-seconds 0)

log=$WORK/job.log
job=$(STALL_FIRST=unit:3 submit "$log" -N 3 -n 3 -- "$IN" "$WORK/out.h5" "${opts[@]}")
wait_log "$log" 'imgshard: test stall at unit:3' 90 "$job"
wait_journal "$WORK/out.h5" 2 30
read -r _ _ host <<<"$(rank_line 2)"
[[ $host == n3 ]] || fail "rank 2 runs on '$host', expected n3"
batch_host=$(job_field "$job" BatchHost)
[[ $batch_host != n3 ]] || fail "the batch script runs on n3, the node this test kills"

"$SLURM_LOCAL" node-kill n3 2>>"$WORK/slurm-local.log" || fail "node-kill n3 failed"
t0=$SECONDS
note "job $job: node n3 (rank 2) killed"

# Slurm notices, ends the job and requeues it
until [[ $(job_field "$job" Restarts) -ge 1 ]]; do
  ((SECONDS - t0 < 120)) || fail "job $job was not requeued within 120 s of the node's death (JobState=$(job_field "$job" JobState))"
  sleep 0.5
done
detected=$((SECONDS - t0))
note "job $job requeued ${detected}s after the node died (JobState=$(job_field "$job" JobState))"
grep -q 'DUE TO NODE FAILURE' "$log" || fail "the job log does not say the job ended due to the node failure"
grep -q 'every image written' "$log" && fail "the job log says 'every image written' after a node failure"

# the killed node left its step's PMIx files behind, as a real one leaves them in /tmp
stale=$(find "$IMGSHARD_SLURM_DIR/tmp/n3" "$IMGSHARD_SLURM_DIR/spool/n3" -maxdepth 1 -name '*pmix*' | wc -l)
note "n3 left $stale stale PMIx files/folders (TmpFS and spool)"
((stale > 0)) || fail "expected stale PMIx files of the killed step on n3"
# the job cannot start while n3 is down: it needs 3 nodes
st=$(job_field "$job" JobState)
[[ $st == PENDING || $st == COMPLETING ]] || fail "job $job is $st while a node it needs is down"

"$SLURM_LOCAL" node-boot n3 2>>"$WORK/slurm-local.log" || fail "node-boot n3 failed"
t1=$SECONDS
((stale = $(find "$IMGSHARD_SLURM_DIR/tmp/n3" "$IMGSHARD_SLURM_DIR/spool/n3" -maxdepth 1 -name '*pmix*' | wc -l))) &&
  fail "node-boot left stale PMIx files on n3"
note "node n3 is back, its TmpFS emptied"

st=$(wait_job_end "$job" 180)
note "job $job: $st $((SECONDS - t1))s after the node came back; Restarts=$(job_field "$job" Restarts)"
[[ $st == COMPLETED ]] || fail "job $job ended $st"
grep -q 'decision: resume' "$log" || fail "the restarted job did not resume"
grep -qE '\(([1-9][0-9]*) already done\)' "$log" || fail "the resumed run did not keep the journaled rows"
assert_success_claimed_once "$log"
assert_identical_to_reference "$WORK/out.h5"
note "PASS: node lost -> requeued in ${detected}s -> node back -> resumed -> identical output"
