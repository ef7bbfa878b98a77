"""README.md's kernel table is what `imgshard --kernels-markdown` prints from the declarations.

When this fails, run scripts/update-kernel-table (it rewrites the text between the markers).
"""
import difflib
import os
import subprocess
import unittest

BEGIN = "<!-- kernels:begin -->"
END = "<!-- kernels:end -->"
IMGSHARD = os.environ.get("IMGSHARD", "")
SOURCE_DIR = os.environ.get("IMGSHARD_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))


class ReadmeKernelTable(unittest.TestCase):
    def test_readme_table_equals_kernels_markdown(self):
        self.assertTrue(IMGSHARD, "IMGSHARD is not set: run through ctest")
        generated = subprocess.run([IMGSHARD, "--kernels-markdown"], check=True, capture_output=True, text=True,
                                   env=dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1",
                                            OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")).stdout
        self.assertIn("| `resize` |", generated)
        with open(os.path.join(SOURCE_DIR, "README.md"), encoding="utf-8") as f:
            readme = f.read()
        begin, end = readme.find(BEGIN), readme.find(END)
        self.assertTrue(0 <= begin < end, f"README.md needs the lines {BEGIN} and {END} around the kernel table")
        table = readme[readme.index("\n", begin) + 1:end]
        if table != generated:
            diff = "".join(difflib.unified_diff(table.splitlines(True), generated.splitlines(True),
                                                "README.md", "imgshard --kernels-markdown"))
            self.fail("README.md's kernel table is stale: run scripts/update-kernel-table\n" + diff)


if __name__ == "__main__":
    unittest.main()
