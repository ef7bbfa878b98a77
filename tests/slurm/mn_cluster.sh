#!/usr/bin/env bash
# ctest fixture of the multi-node tests: `up` boots the 3-node test cluster once, with the
# input images and reference output they share (in its folder, under testdata/); `down`
# takes it down again with every daemon, namespace and link it made, and removes its
# folder. Each test resets the cluster (no jobs, every node up) before and after use.
#   bash mn_cluster.sh up|down IMGSHARD_BINARY REPO_ROOT
set -euo pipefail
what=${1:-}
shift || true
# shellcheck source=mn_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/mn_lib.sh"

case $what in
  up)
    mn_boot_cluster
    rm -rf "$FIXTURE"
    mkdir -p "$FIXTURE"
    mn_make_inputs "$FIXTURE/in" "$FIXTURE/ref.h5"
    touch "$FIXTURE/ready"
    CLUSTER_UP=0 # stays up for the tests; `down` (the fixture's cleanup) ends it
    note "shared cluster ready" ;;
  down)
    "$SLURM_LOCAL" down --purge 2>&1 | sed 's/^/  /' >&2
    ip netns list 2>/dev/null | grep -q "^${IMGSHARD_SLURM_NETPREFIX}n" &&
      fail "network namespaces ${IMGSHARD_SLURM_NETPREFIX}n* are still there after down"
    note "shared cluster down" ;;
  *) fail "usage: bash $0 up|down IMGSHARD_BINARY REPO_ROOT" ;;
esac
