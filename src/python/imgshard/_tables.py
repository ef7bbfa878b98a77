"""Plain-text tables and CSV files of the benchmark and the scaling study."""

from __future__ import annotations

import csv
import math


def fmt(v, spec: str, none: str = "-") -> str:
    """format(v, spec), or `none` for a missing value."""
    return none if v is None else format(v, spec)


def short(v) -> str:
    """A CSV cell: floats with 6 significant digits (NaN: empty), the rest as str."""
    if isinstance(v, float):
        return "" if math.isnan(v) else f"{v:.6g}"
    return str(v)


def jsonable(v):
    """Replace inf/nan (not JSON) by None, recursively."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    return v


def text_table(header, rows, *, align: str = "l", sep: str = "  ", rule: bool = True,
               min_widths=None) -> list:
    """Lines of a table: the header, a rule of dashes (rule=True), then one line per row.
    Columns are as wide as their widest cell (or min_widths[i]); align is "l" or "r" for
    every column, or one letter per column. Lines carry no trailing blanks."""
    rows = [[str(x) for x in row] for row in rows]
    header = [str(h) for h in header]
    widths = [max(len(x) for x in col) for col in zip(header, *rows)]
    if min_widths:
        widths = [max(w, m) for w, m in zip(widths, min_widths)]
    aligns = align * len(header) if len(align) == 1 else align

    def line(cells):
        return sep.join(c.rjust(w) if a == "r" else c.ljust(w)
                        for c, w, a in zip(cells, widths, aligns)).rstrip()

    out = [line(header)]
    if rule:
        out.append(sep.join("-" * w for w in widths))
    out.extend(line(r) for r in rows)
    return out


def write_csv(path: str, columns, rows, cell=short) -> None:
    """One line per dict of rows, the given columns in order (a missing one is empty)."""
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(columns)
        for row in rows:
            w.writerow([cell(row.get(c, "")) for c in columns])
