#!/usr/bin/env bash
# slurm/scaling-study.sbatch in a 3-node allocation (-N 3 -n 3): scripts/scaling-study
# launches every point with srun, 1, 2 and 3 ranks spread over as many nodes. study.csv
# says how many nodes each point used (the `nodes` column, from the report's hosts), and
# its phases keep the messaging (send, receive) apart from the work (read, decode,
# kernels); with ranks on other hosts, rank 0's receive time is that of TCP. Its srun
# steps run Slurm's PMIx fences as rings (the 3-rank step's barrier across the 3 nodes).
#   bash mn_scaling_study.sh IMGSHARD_BINARY REPO_ROOT
set -euo pipefail
# shellcheck source=mn_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/mn_lib.sh"

mn_cluster_up

job=$(cd "$WORK" && IMGSHARD=$BIN sbatch --parsable -N 3 -n 3 -t 10 -o "$WORK/study.log" \
  "$REPO/slurm/scaling-study.sbatch" "$IN" --out "$WORK/study" --repeat 1 --warmup 0 \
  --pipeline resize=64:64 --chunk 2) || fail "sbatch slurm/scaling-study.sbatch failed"
job=${job%%;*}
st=$(wait_job_end "$job" 200)
cat "$WORK/study.log" >&2
[[ $st == COMPLETED ]] || fail "scaling-study job $job ended $st"
[[ -s $WORK/study/study.csv && -s $WORK/study/phases.png ]] || fail "no study.csv or phases.png in $WORK/study"

"$PY" - "$WORK/study/study.csv" <<'PYEOF' || fail "study.csv is not what a 3-node study should give (see above)"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
for r in rows:
    print(f"  ranks={r['ranks']} threads={r['threads']} nodes={r['nodes']} seconds={float(r['seconds']):.3f} "
          f"mean send={float(r['send']):.4f} receive={float(r['receive']):.4f} "
          f"rank0 receive={float(r['r0_receive']):.4f} work={sum(float(r[p]) for p in ('read', 'decode', 'kernels')):.3f}")
got = {int(r["ranks"]): int(r["nodes"]) for r in rows}
assert got == {1: 1, 2: 2, 3: 3}, f"ranks -> nodes {got}, expected one node per rank (1, 2, 3)"
three = next(r for r in rows if int(r["ranks"]) == 3)
# rank 0 received the other hosts' results over TCP, and the workers sent them
assert float(three["r0_receive"]) > 0 and float(three["send"]) > 0, "no send/receive time on 3 nodes"
for col in ("send", "receive", "read", "decode", "kernels", "wait"):
    assert col in three, f"study.csv lacks the {col} phase"
PYEOF
assert_fences_span_nodes "$job" 3
note "PASS: scaling study over 3 nodes; study.csv has the node count and send/receive per point; PMIx fences as rings"
