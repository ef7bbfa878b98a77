"""imgshard's scaling study (`scripts/scaling-study`) as a library: the speedup laws and
their fits, the projection's cost model, the reading of imgshard's reports, the inputs.

    from imgshard import study
    fit = study.fit_amdahl(cores, speedup)
    model = study.calibrate(runs, threads=1)

The modules: `laws` (Amdahl, Gustafson, Karp-Flatt), `cost` (the projection's cost model
and its calibration), `reports` (imgshard's --report JSON), `inputs` (image lists),
`runner` (running the grid), `analysis`, `plots`, `projection`, `cli` (the command line).
Only NumPy is needed to import this package; Matplotlib only to draw.
"""

from .cost import WRITERS, CostModel, calibrate, calibrate_rows, row_writer, run_writer
from .inputs import IMAGE_EXTENSIONS, find_images, images_for, parse_int_list, write_image_list
from .laws import (Fit, amdahl_speedup, fit_amdahl, fit_gustafson, gustafson_speedup, karp_flatt,
                   speedup_and_efficiency)
from .reports import COMPUTE_PHASES, PHASES, nodes, processed, rank0, summarize_report, worker_ranks, writer_of

__all__ = ["WRITERS", "CostModel", "calibrate", "calibrate_rows", "row_writer", "run_writer", "writer_of", "IMAGE_EXTENSIONS", "find_images", "images_for", "parse_int_list",
           "write_image_list", "Fit", "amdahl_speedup", "fit_amdahl", "fit_gustafson", "gustafson_speedup",
           "karp_flatt", "speedup_and_efficiency", "COMPUTE_PHASES", "PHASES", "nodes", "processed", "rank0",
           "summarize_report", "worker_ranks"]
