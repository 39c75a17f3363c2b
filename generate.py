"""Run the kerneldata pipeline: the same as `kerneldata generate`.

On a laptop:
    python generate.py --config configs/quickstart.yaml --out shards/runs/quickstart

On a Ray cluster:
    ray job submit --address http://HEAD:8265 --working-dir . -- python generate.py --config configs/quickstart.yaml
"""

import sys


def main(argv: list[str] | None = None) -> int:
    from kerneldata.cli import main as cli_main

    return cli_main(["generate", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
