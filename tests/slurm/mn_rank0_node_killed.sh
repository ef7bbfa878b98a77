#!/usr/bin/env bash
# The node of rank 0 and of the batch script dies. Slurm declares it DOWN, ends the job
# "DUE TO NODE FAILURE" and requeues it (--requeue). Submitted with a node range
# (-N 2-3 -n 3: 3 nodes while there are 3), the job starts again at once on the 2 nodes
# that are left, without waiting for the lost one, resumes with its 3 ranks on 2 hosts,
# and ends bit-identical to an uninterrupted run.
#   bash mn_rank0_node_killed.sh IMGSHARD_BINARY REPO_ROOT
set -euo pipefail
# shellcheck source=mn_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/mn_lib.sh"

mn_cluster_up
make_wrapper
opts=("${OPTS[@]}" --checkpoint-seconds 0)

log=$WORK/job.log
job=$(STALL_FIRST=unit:3 submit "$log" -N 2-3 -n 3 -- "$IN" "$WORK/out.h5" "${opts[@]}" \
  --report "$WORK/report.json")
wait_log "$log" 'imgshard: test stall at unit:3' 90 "$job"
wait_journal "$WORK/out.h5" 2 30
grep -qE 'start 0 of job [0-9]+ on n\[1-3\]: 3 rank' "$log" || fail "the first start did not get 3 nodes"
batch_host=$(job_field "$job" BatchHost)
read -r _ _ host0 <<<"$(rank_line 0)"
[[ -n $batch_host && $host0 == "$batch_host" ]] || fail "rank 0 runs on '$host0', the batch script on '$batch_host'"

"$SLURM_LOCAL" node-kill "$batch_host" 2>>"$WORK/slurm-local.log" || fail "node-kill $batch_host failed"
t0=$SECONDS
note "job $job: node $batch_host (batch script and rank 0) killed"

until [[ $(job_field "$job" Restarts) -ge 1 ]]; do
  ((SECONDS - t0 < 120)) || fail "job $job was not requeued within 120 s of the node's death (JobState=$(job_field "$job" JobState))"
  sleep 0.5
done
detected=$((SECONDS - t0))
note "job $job requeued ${detected}s after the node died"

t1=$SECONDS
st=$(wait_job_end "$job" 180)
note "job $job: $st $((SECONDS - t1))s after the requeue, on the nodes left; Restarts=$(job_field "$job" Restarts)"
[[ $st == COMPLETED ]] || fail "job $job ended $st"
grep -qE 'start 1 of job [0-9]+ on .*: 3 rank\(s\)' "$log" || fail "the restart did not run 3 ranks"
grep -q 'decision: resume' "$log" || fail "the restarted job did not resume"
grep -qE '\(([1-9][0-9]*) already done\)' "$log" || fail "the resumed run did not keep the journaled rows"
hosts=$(hosts_of "$WORK/report.json" | sort -u | tr '\n' ' ')
[[ $hosts != *"$batch_host "* ]] || fail "the restart ran a rank on the dead node $batch_host ($hosts)"
[[ $(wc -w <<<"$hosts") == 2 ]] || fail "the restart ran on '$hosts', expected the 2 nodes left"
note "restart ran on: $hosts"
assert_success_claimed_once "$log"
assert_identical_to_reference "$WORK/out.h5"
note "PASS: rank 0's node lost -> requeued in ${detected}s -> restarted on 2 nodes -> identical output"
