"""Carry Ray to the GPU machine, which has neither Ray nor a network: a stripped Ray tree packed with xz,
and the wheels of what Ray and the pipeline import there and that machine lacks.

    python bench/ray_bundle.py build    # writes .raybundle/ray.tar.xz and .raybundle/*.whl (about 21 MiB)
    python bench/ray_bundle.py check [--run "bench/scaling.py --device cpu --gpus 0"]
    python bench/ray_bundle.py unpack --to /tmp/site   # on the device: the Ray tree out of ray.tar.xz
    python bench/ray_bundle.py smoke    # ray.init, an actor, a Ray Data actor pool; one JSON line

`build` downloads the cp312 manylinux Ray wheel of the version installed here (79 MB: over the 64 MiB one
device call carries), unpacks it, removes what `ray.init(include_dashboard=False)`, actors and Ray Data never
import (STRIPPED below), and packs the rest. On the device (Python 3.12), with `.whl` (pydantic) and
`.raybundle` carried:

    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
        .whl/*.whl .raybundle/*.whl && python3 bench/ray_bundle.py unpack --to /tmp/site && \
        export PYTHONPATH=/tmp/site

(`unpack` is Python's tarfile, so the device needs no xz program.)

`check` validates the strip rules here, where Python is 3.11: it applies them to a copy of this machine's
own Ray, puts that copy in a virtual environment that sees only the device's packages (DEVICE_PACKAGES, the
pydantic wheels and EXTRA_WHEELS, linked from this machine's installs) and runs `smoke` there, then
`--run`'s script with that environment's Python. It cannot catch what differs between Ray's cp311 and
cp312 builds; run `smoke` first on the device.

Kept: the raylet, gcs_server and _raylet.so (most of the size), the runtime-env agent with its vendored
aiohttp (the raylet starts it on every node), the dashboard agent (started in its minimal mode, since the
device lacks aiohttp_cors and opentelemetry), the autoscaler (the head node's monitor), Ray Data and the
parts of ray.air it imports.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUNDLE_DIR = ROOT / ".raybundle"
TARBALL = "ray.tar.xz"
# What one device call may carry in all; the pydantic wheels in .whl take about 2.5 MiB of it.
CARRY_LIMIT_BYTES = 64 << 20

# Paths under ray/ that the run never imports: the Java jar, the dashboard's web client, the libraries
# built on Ray Core other than Ray Data, Ray Data's LLM entry (it imports ray.llm), the ML integrations
# of ray.air (they import tune and train), Spark and Dask, and Cython headers.
STRIPPED = (
    "jars", "dashboard/client", "serve", "tune", "rllib", "train", "llm", "workflow", "data/llm.py",
    "air/integrations", "air/examples", "util/spark", "util/dask", "includes", "setup-dev.py",
)
STRIPPED_SUFFIXES = (".pyi", ".pxd", ".pxi")
STRIPPED_DIR_NAMES = ("tests", "__pycache__")

# Wheels the device lacks: Ray's jsonschema (runtime-env and autoscaler schemas) with its own needs, and
# datasketch (filters.dedup's MinHash permutations). Versions are the ones installed here, so `check` and
# the device run the same code. rpds-py is compiled, so its cp312 build is fetched.
EXTRA_WHEELS = ("jsonschema", "jsonschema-specifications", "referencing", "rpds-py", "datasketch")
# The pydantic wheels every device call already carries in .whl (README of the device tool).
CARRIED_WHEELS = ("pydantic", "pydantic-core", "annotated-types", "typing-inspection")

# The device's Python packages (its image 'cuda', as listed on 2026-11-17): `check` links those installed
# here into its environment and nothing else.
DEVICE_PACKAGES = """
absl-py accelerate aiofiles aiohappyeyeballs aiohttp aiosignal annotated-doc anyio attrs botorch build certifi
charset-normalizer chex click cloudpickle cmake colorama contourpy coverage cuda-bindings cuda-core
cuda-pathfinder cuda-toolkit cupy-cuda13x cycler cython diffrax e3nn einops equinox etils execnet filelock
flatbuffers flax fonttools formulaic frozenlist fsspec gpytorch grpcio h11 h5py hf-xet httpcore httpx
huggingface-hub humanize hypothesis idna imageio iniconfig interface-meta jax jaxlib jaxtyping jinja2 joblib
kiwisolver lazy-loader lightning lightning-utilities linear-operator lineax llvmlite lxml markdown
markdown-it-py markupsafe matplotlib mdurl meson ml-dtypes mpi4py mpmath msgpack multidict multipledispatch
mypy-extensions nanobind narwhals networkx ninja numba numba-cuda numpy numpyro nvidia-ml-py onnx onnx-ir
onnxruntime onnxscript opencv-python-headless optax opt-einsum opt-einsum-fx optimistix orbax-checkpoint
packaging pandas pathspec patsy peft pillow pip pluggy portalocker prometheus-client propcache protobuf psutil
pyarrow pybind11 py-cpuinfo pygments pyparsing pyproject-hooks pyre-extensions pytest pytest-benchmark
pytest-cov pytest-mock pytest-timeout pytest-xdist python-dateutil pytorch-lightning pyyaml regex requests
rich sacrebleu safetensors scikit-build-core scikit-image scikit-learn scipy seaborn sentencepiece
sentence-transformers setuptools shellingham simplejson six sortedcontainers statsmodels sympy tabulate
tensorboard tensorboard-data-server tensorstore threadpoolctl tifffile tiktoken timm tokenizers toolz torch
torchaudio torchdiffeq torch-geometric torchmetrics torchvision tqdm transformers treescope triton typer
typing-extensions typing-inspect urllib3 uvloop wadler-lindig werkzeug wheel wrapt xarray xxhash yarl zipp
""".split()

PIP_CP312 = ["--no-deps", "--only-binary=:all:", "--python-version", "3.12", "--implementation", "cp",
             "--platform", "manylinux2014_x86_64", "--platform", "manylinux_2_17_x86_64",
             "--platform", "manylinux_2_28_x86_64"]


def strip_tree(site: Path) -> int:
    """Remove STRIPPED paths from `site`/ray; return the bytes removed."""
    ray_dir = site / "ray"
    if not (ray_dir / "__init__.py").is_file():
        raise SystemExit(f"no ray package under {site}")
    removed = 0
    doomed = [ray_dir / rel for rel in STRIPPED if (ray_dir / rel).exists()]
    doomed += [path for path in ray_dir.rglob("*")
               if (path.is_dir() and path.name in STRIPPED_DIR_NAMES) or path.suffix in STRIPPED_SUFFIXES]
    for path in doomed:
        if not path.exists():  # inside a directory already removed
            continue
        if path.is_dir():
            removed += sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
            shutil.rmtree(path)
        else:
            removed += path.stat().st_size
            path.unlink()
    return removed


def _unpack_wheel(wheel: Path, site: Path) -> None:
    """Unzip keeping the executable bits, which the raylet and gcs_server need and zipfile drops."""
    with zipfile.ZipFile(wheel) as archive:
        for info in archive.infolist():
            target = Path(archive.extract(info, site))
            mode = info.external_attr >> 16
            if mode and not info.is_dir():
                target.chmod(mode & 0o777)


def _tree_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _download(requirement: str, dest: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", *PIP_CP312, "-d", str(dest), requirement],
                   check=True)
    name = requirement.split("==")[0].replace("-", "_").lower()
    found = [p for p in dest.glob("*.whl") if p.name.lower().startswith(name + "-")]
    if len(found) != 1:
        raise SystemExit(f"expected one wheel for {requirement} in {dest}, found {[p.name for p in found]}")
    return found[0]


def build(out_dir: Path) -> dict:
    version = importlib.metadata.version("ray")
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in [*out_dir.glob("*.whl"), out_dir / TARBALL]:
        old.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="raybundle-") as scratch:
        scratch = Path(scratch)
        wheel = _download(f"ray=={version}", scratch)
        site = scratch / "site"
        _unpack_wheel(wheel, site)
        unpacked = _tree_bytes(site)
        removed = strip_tree(site)
        started = time.monotonic()
        with tarfile.open(out_dir / TARBALL, "w:xz", preset=9) as tar:
            for entry in sorted(site.iterdir()):
                tar.add(entry, arcname=entry.name)
        pack_s = time.monotonic() - started
        for name in EXTRA_WHEELS:
            shutil.copy(_download(f"{name}=={importlib.metadata.version(name)}", scratch), out_dir)
        wheel_bytes = wheel.stat().st_size
    bundle = sum(p.stat().st_size for p in out_dir.iterdir() if p.is_file())
    carried = sum(p.stat().st_size for p in (ROOT / ".whl").glob("*.whl"))
    summary = {"ray": version, "wheel_mib": _mib(wheel_bytes), "unpacked_mib": _mib(unpacked),
               "stripped_mib": _mib(removed), "kept_mib": _mib(unpacked - removed),
               "tarball_mib": _mib((out_dir / TARBALL).stat().st_size), "bundle_mib": _mib(bundle),
               "with_whl_mib": _mib(bundle + carried), "pack_s": round(pack_s, 1),
               "wheels": sorted(p.name for p in out_dir.glob("*.whl"))}
    if bundle + carried > CARRY_LIMIT_BYTES:
        raise SystemExit(f"the bundle and .whl take {summary['with_whl_mib']} MiB, over the 64 MiB a call carries")
    return summary


def unpack(site: Path, bundle_dir: Path) -> None:
    """Extract ray.tar.xz into `site`, keeping the executables' modes (tarfile's "tar" filter)."""
    started = time.monotonic()
    site.mkdir(parents=True, exist_ok=True)
    with tarfile.open(bundle_dir / TARBALL) as tar:
        tar.extractall(site, filter="tar")
    raylet = site / "ray" / "core" / "src" / "ray" / "raylet" / "raylet"
    if not os.access(raylet, os.X_OK):
        raise SystemExit(f"{raylet} is missing or not executable after unpacking")
    print(json.dumps({"check": "unpack", "to": str(site), "seconds": round(time.monotonic() - started, 1)}))


def _mib(size: int) -> float:
    return round(size / (1 << 20), 1)


def _link_distribution(name: str, site: Path) -> None:
    """Symlink an installed distribution's top-level files and directories (its packages, modules and
    dist-info) into `site`."""
    dist = importlib.metadata.distribution(name)
    base = Path(dist.locate_file(""))
    tops = {Path(str(f)).parts[0] for f in dist.files or () if not str(f).startswith("..")}
    for top in sorted(tops - {"__pycache__"}):
        if (base / top).exists() and not (site / top).exists():
            (site / top).symlink_to(base / top)


def check(run: str | None) -> None:
    """Strip a copy of this machine's Ray into a virtual environment holding only the device's packages,
    then run `smoke` (and `run`) with that environment's Python."""
    spec = importlib.util.find_spec("ray")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("ray is not installed here")
    ray_dir = Path(list(spec.submodule_search_locations)[0])
    dist_info = Path(importlib.metadata.distribution("ray")._path)  # type: ignore[attr-defined]
    with tempfile.TemporaryDirectory(prefix="raycheck-") as scratch:
        venv = Path(scratch) / "venv"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
        python = venv / "bin" / "python"
        site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                   check=True, capture_output=True, text=True).stdout.strip())
        shutil.copytree(ray_dir, site / "ray", symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(dist_info, site / dist_info.name)
        removed = strip_tree(site)
        linked, absent = 0, []
        for name in (*DEVICE_PACKAGES, *CARRIED_WHEELS, *EXTRA_WHEELS):
            try:
                _link_distribution(name, site)
                linked += 1
            except importlib.metadata.PackageNotFoundError:
                absent.append(name)
        print(json.dumps({"check": "environment", "ray_kept_mib": _mib(_tree_bytes(site / "ray")),
                          "ray_stripped_mib": _mib(removed), "distributions_linked": linked,
                          "not_installed_here": len(absent)}), flush=True)
        subprocess.run([str(python), str(Path(__file__).resolve()), "smoke"], check=True, cwd=ROOT)
        if run:
            subprocess.run([str(python), *run.split()], check=True, cwd=ROOT)


def smoke() -> None:
    """What the pipeline asks of Ray, in miniature: a local instance without the dashboard, an actor, and
    a Ray Data actor pool whose calls run concurrently."""
    started = time.monotonic()
    import pyarrow as pa
    import pyarrow.compute as pc
    import ray

    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    try:
        @ray.remote
        class Counter:
            def __init__(self) -> None:
                self.total = 0

            def add(self, value: int) -> int:
                self.total += value
                return self.total

        counter = Counter.remote()
        ray.get([counter.add.remote(value) for value in range(1, 5)])
        actor_total = ray.get(counter.add.remote(0))

        class Double:
            def __call__(self, batch: pa.Table) -> pa.Table:
                return batch.set_column(0, "id", pc.multiply(batch["id"], 2))

        dataset = ray.data.range(32).map_batches(
            Double, batch_format="pyarrow", batch_size=4,
            compute=ray.data.ActorPoolStrategy(size=1, max_tasks_in_flight_per_actor=2,
                                               max_concurrent_calls_per_actor=2, enable_true_multi_threading=True))
        data_total = sum(int(batch["id"].sum()) for batch in dataset.iter_batches(batch_format="pandas"))
    finally:
        ray.shutdown()
    if actor_total != 10 or data_total != 2 * sum(range(32)):
        raise SystemExit(f"ray smoke test: actor total {actor_total} (expected 10), data total {data_total} "
                         f"(expected {2 * sum(range(32))})")
    print(json.dumps({"check": "smoke", "ray": ray.__version__, "python": sys.version.split()[0],
                      "ray_from": str(Path(ray.__file__).parent.parent), "seconds": round(time.monotonic() - started, 1)}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    build_parser = commands.add_parser("build", help="download, strip and pack Ray; fetch the extra wheels")
    build_parser.add_argument("--out", type=Path, default=BUNDLE_DIR, help="default: .raybundle in the repo root")
    check_parser = commands.add_parser("check", help="run the stripped local Ray in a device-like environment")
    check_parser.add_argument("--run", help="a script and its arguments to run there afterwards")
    unpack_parser = commands.add_parser("unpack", help="extract ray.tar.xz (on the device)")
    unpack_parser.add_argument("--to", type=Path, required=True, help="the site directory, e.g. /tmp/site")
    unpack_parser.add_argument("--bundle", type=Path, default=BUNDLE_DIR, help="default: .raybundle")
    commands.add_parser("smoke", help="ray.init, an actor and a Ray Data actor pool; one JSON line")
    args = parser.parse_args(argv)
    if args.command == "build":
        print(json.dumps({"check": "build", **build(args.out)}))
    elif args.command == "check":
        check(args.run)
    elif args.command == "unpack":
        unpack(args.to, args.bundle)
    else:
        smoke()
    return 0


if __name__ == "__main__":
    sys.exit(main())
