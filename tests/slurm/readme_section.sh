#!/usr/bin/env bash
# README.md's "Running on Slurm" section is a copy of slurm/README-section.md: the two
# must not drift apart. Edit slurm/README-section.md, then copy it into README.md.
#   bash readme_section.sh REPO_ROOT
set -euo pipefail
repo=${1:?usage: bash readme_section.sh REPO_ROOT}
section=$(sed -n '/^## Running on Slurm$/,/^## /{/^## /{/^## Running on Slurm$/!d};p}' "$repo/README.md")
[[ -n $section ]] || { echo "FAIL: README.md has no '## Running on Slurm' section" >&2; exit 1; }
if ! diff -u <(sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' "$repo/slurm/README-section.md") \
  <(printf '%s\n' "$section" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'); then
  echo "FAIL: README.md's Slurm section differs from slurm/README-section.md (diff above: - file, + README)" >&2
  exit 1
fi
echo "README.md's Slurm section matches slurm/README-section.md"
