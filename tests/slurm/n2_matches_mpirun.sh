#!/usr/bin/env bash
# A 2-rank Slurm job (sbatch -n 2, ranks started by srun --mpi=pmix) writes the same
# /images, /paths and /status, bit for bit, as a direct `mpirun -np 2` on the same input.
#   bash n2_matches_mpirun.sh IMGSHARD_BINARY REPO_ROOT
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

cluster_up
copy_photos "$WORK/in" 24
note "24 images in $WORK/in"

direct_run "$WORK/direct.h5" --threads 1 "$WORK/in"
note "direct mpirun -np 2 run done"

rc=0
(cd "$WORK" && IMGSHARD=$BIN timeout 240 sbatch --wait --quiet -n 2 -c 1 -t 5 -o "$WORK/job.log" \
  "$SBATCH_SCRIPT" "$WORK/in" "$WORK/slurm.h5") || rc=$?
((rc == 0)) || fail "sbatch -n 2 job exited $rc (log: $(tail -n 3 "$WORK/job.log" | tr '\n' ' '))"
grep -q 'decision: fresh run' "$WORK/job.log" || fail "job log does not say it decided on a fresh run"
grep -q 'running: srun --mpi=pmix' "$WORK/job.log" || fail "job log does not show the srun --mpi=pmix step"
note "sbatch -n 2 job done"

[[ $(h5_attr "$WORK/slurm.h5" complete) == 1 ]] || fail "Slurm job's output does not have complete=1"
ranks=$(h5_attr "$WORK/slurm.h5" mpi_ranks)
[[ $ranks == 2 ]] || fail "Slurm job's output says mpi_ranks=$ranks, expected 2 (did srun start 2 singletons?)"
assert_same_h5 "$WORK/direct.h5" "$WORK/slurm.h5" images paths status
note "PASS: /images, /paths and /status identical to mpirun -np 2"
