"""imgshard's benchmark (`scripts/benchmark`) as a library: the rows declared once
(`rows.ROWS`: name, command builder, baseline, limit, target, layouts), one runner
(`runner.run_rows`), the report (`report`: medians, ratios, verdicts, results.csv), the
corpus (`corpus`), the linearity step and the command line (`cli`)."""
