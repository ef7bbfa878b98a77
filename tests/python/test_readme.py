"""README's training-loop example runs as written: the code between its python-example
markers, run by Debian's python3 in a folder whose build/sample.h5 is what
`bash scripts/run-sample` makes. A README edit that breaks the example fails this test."""
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import unittest

import outputs

README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "README.md")
BEGIN, END = "<!-- python-example:begin -->", "<!-- python-example:end -->"


def readme_example():
    with open(README, encoding="utf-8") as f:
        text = f.read()
    if BEGIN not in text or END not in text:
        raise AssertionError(f"README.md has no {BEGIN} ... {END} block")
    block = text[text.index(BEGIN) + len(BEGIN):text.index(END)]
    block = re.sub(r"^\s*```\w*\s*$", "", block, flags=re.MULTILINE)  # fenced or indented, both read
    return textwrap.dedent(block).strip() + "\n"


class ReadmeExample(unittest.TestCase):
    def test_training_loop_example_runs_as_written(self):
        code = readme_example()
        self.assertIn("ImageDataset(\"build/sample.h5\")", code)
        self.assertLessEqual(len([line for line in code.splitlines() if line.strip()]), 14, "a short example")
        sample = outputs.get().sample
        with tempfile.TemporaryDirectory(prefix="imgshard-readme-") as folder:
            os.mkdir(os.path.join(folder, "build"))
            os.symlink(sample, os.path.join(folder, "build", "sample.h5"))
            r = subprocess.run([sys.executable, "-c", code], cwd=folder, capture_output=True, text=True, timeout=240)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        epochs = re.findall(r"^epoch (\d+): loss ([\d.]+)$", r.stdout, flags=re.MULTILINE)
        self.assertEqual([int(e) for e, _ in epochs], [0, 1, 2], r.stdout)


if __name__ == "__main__":
    unittest.main()
