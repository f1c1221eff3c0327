#!/usr/bin/env bash
# The lip-sync GPU check (issue 14) in one command, for anyone with a CUDA GPU: Wav2Lip's and
# MuseTalk 1.5's device checks and benchmarks at 1280x720 with random-weight models (MuseTalk at
# its published sizes), in under 8 minutes; one JSON file, <OUT_DIR>/gpu_check.json.
#
#   bench/gpu_check.sh [--device cuda|cpu|auto] [OUT_DIR]      (OUT_DIR: $OUT, else ./gpu-check)
#
# It needs Python with torch (CUDA build), numpy, Pillow, opencv, transformers, and also diffusers,
# av and imageio-ffmpeg (ffmpeg for the clip encodes). It never needs Django, PostgreSQL or Redis.
# On a machine that lacks the last three and cannot reach PyPI (the lent device machine has
# Python 3.12 with torch, transformers, opencv and scikit-image), carry their wheels in ./wheels,
# made beforehand where PyPI is reachable:
#   pip download --only-binary=:all: --python-version 3.12 --platform manylinux_2_28_x86_64 \
#     --dest wheels diffusers==0.42.1 av imageio-ffmpeg
# and this script installs them from there (pip --no-index). `--device cpu` is a dry run with tiny
# models that the test suite runs, so the script cannot rot.
set -euo pipefail
cd "$(dirname "$0")/.."

device=auto
out="${OUT:-gpu-check}"
while [ $# -gt 0 ]; do
  case "$1" in
    --device) device="$2"; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) out="$1"; shift ;;
  esac
done

python="${PYTHON:-python3}"
[ -x .venv/bin/python ] && [ -z "${PYTHON:-}" ] && python=.venv/bin/python
if ! "$python" -c "import diffusers, av, imageio_ffmpeg" 2>/dev/null; then
  if [ -d wheels ]; then
    "$python" -m pip install --quiet --no-index --find-links wheels diffusers av imageio-ffmpeg
  else
    echo "diffusers, av or imageio-ffmpeg is missing: pip install them, or carry their wheels in ./wheels (see above)" >&2
    exit 2
  fi
fi
exec timeout 480 "$python" -m bench.gpu_check --device "$device" --out "$out"
