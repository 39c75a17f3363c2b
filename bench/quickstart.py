"""Benchmark: the quickstart on this machine, from an installed package to a dataset card.

    python bench/quickstart.py [--out DIR]

Times `python generate.py --config configs/quickstart.yaml` end to end (Ray start-up, sampling, teacher,
verification under the Triton interpreter, shards, card, manifest) and prints one JSON line with the wall
time, the CPU count and the manifest's counts. DESIGN section 6's budget: under 5 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="run directory (default: a temporary one, removed after)")
    args = parser.parse_args()
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="kd-bench-")) / "quickstart"
    started = time.monotonic()
    subprocess.run([sys.executable, "generate.py", "--config", "configs/quickstart.yaml", "--out", str(out),
                    "--quiet"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    wall_s = time.monotonic() - started
    manifest = json.loads((out / "manifest.json").read_text())
    print(json.dumps({"bench": "quickstart", "wall_s": round(wall_s, 1), "cpus": os.cpu_count(),
                      "counts": manifest["counts"], "timings": manifest["timings"],
                      "hardware": manifest["hardware"]}))
    if not args.out:
        shutil.rmtree(out.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
