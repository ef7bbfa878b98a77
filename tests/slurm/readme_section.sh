#!/usr/bin/env bash
# The Slurm documentation lives in slurm/README.md; README.md's "Running on Slurm" section
# is a short version that links to it. This checks they do not drift apart: every sbatch
# command the short version shows is in slurm/README.md too, and every link into
# slurm/README.md (from README.md or from itself) names a heading that exists there.
#   bash readme_section.sh REPO_ROOT
set -euo pipefail
repo=${1:?usage: bash readme_section.sh REPO_ROOT}
/usr/bin/python3 - "$repo" <<'PY'
import re, sys
repo = sys.argv[1]
readme = open(f"{repo}/README.md", encoding="utf-8").read()
slurm = open(f"{repo}/slurm/README.md", encoding="utf-8").read()
m = re.search(r"^## Running on Slurm\n(.*?)(?=^## )", readme, re.S | re.M)
if not m:
    sys.exit("FAIL: README.md has no '## Running on Slurm' section")
section = m.group(1)
problems = []
if "](slurm/README.md" not in section:
    problems.append("README.md's Slurm section does not link to slurm/README.md")
flat = " ".join(slurm.split())
for line in section.splitlines():
    cmd = line.strip()
    if line.startswith("    ") and cmd.startswith("sbatch ") and " ".join(cmd.split()) not in flat:
        problems.append(f"README.md shows a command slurm/README.md does not: {cmd}")

def anchor(heading):  # GitHub's rule: lower case, punctuation dropped, spaces to dashes
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")

anchors = {anchor(h) for h in re.findall(r"^#+ (.*)$", slurm, re.M)}
links = [("README.md", a) for a in re.findall(r"\]\(slurm/README\.md#([^)]+)\)", readme)]
links += [("slurm/README.md", a) for a in re.findall(r"\]\(#([^)]+)\)", slurm)]
for where, a in links:
    if a not in anchors:
        problems.append(f"{where} links to slurm/README.md#{a}, which is no heading there")
if problems:
    sys.exit("FAIL: " + "\nFAIL: ".join(problems))
print(f"README.md's Slurm section and slurm/README.md agree ({len(links)} links checked)")
PY
