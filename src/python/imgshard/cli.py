"""`python3 -m imgshard inspect OUT.h5 [--json]`: what a user reads after a run.

One screen: images, shape, dtype, layout, pipeline, complete or not, ok/failed counts
with the failure reasons grouped, labels with their counts, the per-rank phase table and
the run's images/s. Exit 0 for a readable imgshard file (complete or not), 1 otherwise
with one line on stderr saying why.
"""

import argparse
import collections
import json
import os
import sys

from . import __version__
from .reader import FileError, ImageFile

FIRST_PATHS = 3       # paths shown per failure reason
MAX_REASONS = 10      # failure reasons shown (the most frequent)
MAX_CLASSES = 12      # classes shown by name (the most frequent)
MAX_RANK_ROWS = 8     # ranks shown one by one; beyond, the first few and min/mean/max
MAX_INPUTS = 4        # INPUT arguments shown with their image counts


def summarize(f):
    """Everything `inspect` shows, as one JSON-ready dict."""
    status = f.status
    failures = f.failed
    groups = collections.OrderedDict()
    for x in failures:
        groups.setdefault((x.status_name, x.reason), []).append(x)
    reasons = [{"status": name, "reason": reason, "count": len(items),
                "paths": [x.path for x in items[:FIRST_PATHS]]}
               for (name, reason), items in sorted(groups.items(), key=lambda kv: -len(kv[1]))]
    ok_rows = status == 0
    labels = f.labels
    names = f.label_names
    counts = collections.Counter(labels[ok_rows].tolist())
    classes = [{"index": k, "name": names[k] if 0 <= k < len(names) else None, "count": counts.get(k, 0)}
               for k in sorted(set(range(len(names))) | set(counts))]
    timings = f.timings
    return {
        "path": f.path,
        "file_bytes": os.path.getsize(f.path),
        "imgshard_version": f.attrs.get("imgshard_version"),
        "complete": f.complete,
        "images": len(f),
        "shape": [len(f), *f.image_shape],
        "dtype": str(f.dtype),
        "layout": f.layout,
        "compression": f.attrs.get("compress", f.compression or "none"),
        "pipeline": f.pipeline,
        "decode": f.attrs.get("decode"),
        "ok": int(ok_rows.sum()),
        "failed": len(failures),
        "pending": int(len(f.pending_rows)),
        "failures": reasons,
        "input_errors": f.input_errors,
        "inputs": _inputs(f),
        "meta_columns": sorted(f.meta),
        "labels": classes,
        "images_per_second": f.images_per_second,
        "timings": timings.to_dicts() if timings is not None else [],
        "attrs": f.attrs,
    }


def _inputs(f):
    """[{input, images}] from /inputs and /input_index, [] where the file has none."""
    if f.inputs is None:
        return []
    counts = collections.Counter(f.input_index.tolist()) if f.input_index is not None else {}
    return [{"input": name, "images": counts.get(k, 0)} for k, name in enumerate(f.inputs)]


def _phase_columns(columns):
    # Seconds per phase sit between wall_s and the byte counters.
    start = columns.index("wall_s") + 1 if "wall_s" in columns else len(columns)
    return [c for c in columns[start:] if not c.startswith("bytes_")]


def _rank_table(rows):
    columns = ["rank", "host", "images", "wall_s", *_phase_columns(list(rows[0]))]
    shown = rows if len(rows) <= MAX_RANK_ROWS else rows[:3]
    text = [columns] + [[str(r.get(c, "")) if c in ("rank", "host", "images") else f"{r.get(c, 0.0):.2f}"
                         for c in columns] for r in shown]
    if len(rows) > MAX_RANK_ROWS:
        text.append(["..."] + [""] * (len(columns) - 1))
    if len(rows) > 2:
        for label, fn in (("min", min), ("mean", lambda v: sum(v) / len(v)), ("max", max)):
            line = [label, "", str(fn([r.get("images", 0) for r in rows]))
                    if label != "mean" else f"{fn([r.get('images', 0) for r in rows]):.1f}"]
            line += [f"{fn([r.get(c, 0.0) for r in rows]):.2f}" for c in columns[3:]]
            text.append(line)
    widths = [max(len(line[k]) for line in text) for k in range(len(columns))]
    return ["  " + "  ".join(v.rjust(w) for v, w in zip(line, widths)).rstrip() for line in text]


def _size(n):
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


def render(s):
    """The one-screen text of a summary dict."""
    out = []
    state = "complete" if s["complete"] else (f"INCOMPLETE: {s['pending']} images pending, "
                                              f"finish the run with `imgshard ... --resume`")
    out.append(f"{s['path']}: imgshard {s['imgshard_version']} output, {state}")
    shape = " x ".join(str(d) for d in s["shape"])
    out.append(f"  images     {shape} {s['dtype']} ({s['layout']}), compression {s['compression']}, "
               f"{_size(s['file_bytes'])}")
    out.append(f"  pipeline   {s['pipeline']} (decode {s['decode']})")
    a = s["attrs"]
    if "mpi_ranks" in a:
        out.append(f"  run        {a.get('created', '?')}, {a['mpi_ranks']} rank(s) x {a.get('omp_threads', '?')} "
                   f"thread(s), {a.get('schedule', '?')} schedule, chunk {a.get('chunk', '?')}")
    if s["inputs"]:
        shown = ", ".join(f"{i['input']} ({i['images']})" for i in s["inputs"][:MAX_INPUTS])
        more = f", ... {len(s['inputs']) - MAX_INPUTS} more" if len(s["inputs"]) > MAX_INPUTS else ""
        out.append(f"  inputs     {shown}{more}")
    if s["meta_columns"]:
        out.append(f"  meta       {', '.join('/meta/' + c for c in s['meta_columns'])}")
    counts = f"{s['ok']} ok, {s['failed']} failed" + (f", {s['pending']} pending" if s["pending"] else "")
    out.append(f"  status     {counts}")
    if s["images_per_second"] is not None and s["timings"]:
        wall = s["timings"][0].get("wall_s", 0.0)
        done = sum(r.get("images", 0) for r in s["timings"])
        out.append(f"  speed      {s['images_per_second']:.1f} images/s ({done} images in {wall:.2f} s, "
                   f"rank 0's wall time)")
    if s["failures"]:
        out.append(f"failures by reason ({s['failed']} images):")
        for g in s["failures"][:MAX_REASONS]:
            more = f", ... {g['count'] - len(g['paths'])} more" if g["count"] > len(g["paths"]) else ""
            out.append(f"  {g['count']:>6}  {g['status']}: {g['reason']}")
            out.append(f"          {', '.join(g['paths'])}{more}")
        if len(s["failures"]) > MAX_REASONS:
            rest = s["failures"][MAX_REASONS:]
            out.append(f"  {sum(g['count'] for g in rest):>6}  in {len(rest)} other reasons (--json lists them)")
    if s["input_errors"]:
        out.append(f"folders that could not be listed ({len(s['input_errors'])}, skipped):")
        out.extend(f"  {e}" for e in s["input_errors"][:FIRST_PATHS])
        if len(s["input_errors"]) > FIRST_PATHS:
            out.append(f"  ... {len(s['input_errors']) - FIRST_PATHS} more (--json lists them)")
    labels = s["labels"]
    if labels and not (len(labels) == 1 and labels[0]["index"] == -1):
        out.append(f"labels ({len([c for c in labels if c['index'] >= 0])} classes, images that are ok):")
        top = sorted(labels, key=lambda c: -c["count"])[:MAX_CLASSES]
        top.sort(key=lambda c: c["index"])
        items = [f"{c['name'] if c['name'] is not None else '(no label)' if c['index'] == -1 else c['index']} "
                 f"{c['count']}" for c in top]
        line = "  "
        for item in items:
            if len(line) + len(item) > 88:
                out.append(line.rstrip(", "))
                line = "  "
            line += item + ", "
        out.append(line.rstrip(", "))
        if len(labels) > MAX_CLASSES:
            out.append(f"  ... {len(labels) - MAX_CLASSES} more classes (--json lists them)")
    elif labels:
        out.append("labels     none (-1: written with --labels none)")
    if s["timings"]:
        out.append("per-rank phases (seconds):")
        out.extend(_rank_table(s["timings"]))
    return "\n".join(out)


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        # imgshard's own exit code for usage errors.
        self.print_usage(sys.stderr)
        print(f"{self.prog}: {message}", file=sys.stderr)
        sys.exit(1)


def main(argv=None):
    parser = _Parser(prog="python3 -m imgshard", description="Tools for imgshard's HDF5 output files.")
    parser.add_argument("--version", action="version", version=f"imgshard (Python) {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("inspect", help="summarise an output file on one screen",
                       description="Summarise an imgshard output file: images, pipeline, failures "
                                   "grouped by reason, labels, per-rank phases, images/s.")
    p.add_argument("file", metavar="OUT.h5")
    p.add_argument("--json", action="store_true", help="print the summary as JSON, for scripts")
    args = parser.parse_args(argv)
    if args.command != "inspect":
        parser.print_help(sys.stderr)
        return 1
    try:
        summary = summarize(ImageFile(args.file, allow_incomplete=True))
    except (OSError, FileError) as e:
        print(f"imgshard inspect: {e}" if args.file in str(e) else f"imgshard inspect: {args.file}: {e}",
              file=sys.stderr)
        return 1
    except Exception as e:  # an imgshard file damaged in a way the reader did not foresee
        print(f"imgshard inspect: {args.file}: cannot read it as an imgshard output ({type(e).__name__}: {e})",
              file=sys.stderr)
        return 1
    if args.json:
        json.dump(summary, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(render(summary))
    return 0


def inspect_main():
    """Entry point of the installed `imgshard-inspect` script."""
    sys.exit(main(["inspect", *sys.argv[1:]]))
