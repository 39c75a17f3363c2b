#!/bin/bash
# Issue 19's yield run on the GPU machine (the device tool), resumable across calls of at most 10 minutes:
#   bash bench/yield_run.sh SECONDS RUN_DIR [key=value overrides...]
# carrying .whl (pydantic), .raybundle (bench/ray_bundle.py build), .probe (bwrap and its libraries) and
# .gpurun/workloads.jsonl (`python -m kerneldata workloads capture --out .gpurun/workloads.jsonl`, made here).
# Runs `generate.py --config configs/gpu.yaml` on real-workload specs for SECONDS, stops it with SIGTERM (the
# run checkpoints and exits 130), and leaves RUN_DIR/../NAME.tgz under $OUT; the next call, on the same
# warm machine or a fresh one given that tarball in .gpurun/, resumes it. Then, here:
#   python bench/yield_report.py RUN_DIR
set -u
cd "$(dirname "$0")/.."
seconds=$1 run=$2
shift 2
name=$(basename "$run")
if [ ! -d /tmp/site/ray ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
    .whl/*.whl .raybundle/*.whl && python3 bench/ray_bundle.py unpack --to /tmp/site > /dev/null || exit 1
fi
export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1
export KERNELDATA_BWRAP=$PWD/.probe/bwrap LD_LIBRARY_PATH=$PWD/.probe:${LD_LIBRARY_PATH:-}
if [ ! -d "$run" ] && [ -f ".gpurun/$name.tgz" ]; then mkdir -p "$(dirname "$run")" && tar xzf ".gpurun/$name.tgz" -C "$(dirname "$run")"; fi
resume=""; [ -d "$run" ] && resume=--resume
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
date -u
timeout -s TERM -k 90 "$seconds" python3 generate.py --config configs/gpu.yaml --out "$run" $resume \
  specs.num_specs=150 specs.source=workloads specs.workloads.file=.gpurun/workloads.jsonl \
  specs.workloads.scale=real "$@" > "$OUT/$name.log" 2>&1
echo "generate exit $?"; date -u
tail -c 4000 "$OUT/$name.log"
tar czf "$OUT/$name.tgz" -C "$(dirname "$run")" --exclude="$name/logs" "$name"
tar czf "$OUT/$name-logs.tgz" -C "$(dirname "$run")" "$name/logs" 2>/dev/null
ls -la "$OUT"
