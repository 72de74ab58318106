#!/usr/bin/env bash
# The package stands alone, the long way: build a wheel from this checkout, install it with all its
# dependencies (pinned by constraints.txt) into a brand-new virtual environment, and run it from an
# unrelated folder: --version, a short `bench train --json`, and the GUI's start (offscreen).
#   benchmarks/check_wheel.sh [WORK_DIR]     (default: a temporary folder; ~3-6 min, downloads ~2 GB)
# tests/test_wheel.py checks the same in seconds by borrowing the project's installed dependencies.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="${1:-$(mktemp -d -t wandlab-wheel-XXXX)}"
PY="${PYTHON:-python3}"
mkdir -p "$WORK/dist" "$WORK/elsewhere"
t0=$(date +%s)
"$ROOT/.venv/bin/python" -m pip wheel --no-deps -q -w "$WORK/dist" "$ROOT"
"$PY" -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install -q --upgrade pip
"$WORK/venv/bin/python" -m pip install -q -c "$ROOT/constraints.txt" "$WORK"/dist/wandlab-*.whl
t1=$(date +%s)
cd "$WORK/elsewhere"
"$WORK/venv/bin/wandlab" --version
"$WORK/venv/bin/wandlab" bench train --classes 3 --takes 6 --epochs 2 --json | tail -1 > bench.json
QT_QPA_PLATFORM=offscreen WANDLAB_QUIT_AFTER_S=1 HOME="$WORK/elsewhere" \
  "$WORK/venv/bin/wandlab" --project "$WORK/elsewhere/project" | tee gui.txt
grep -q "window shown: Wandlab" gui.txt
t2=$(date +%s)
echo "wheel: $(ls "$WORK"/dist/*.whl) ($(du -k "$WORK"/dist/*.whl | cut -f1) KB)"
echo "install: $((t1 - t0)) s   checks: $((t2 - t1)) s   bench train: $(cat bench.json)"
echo "OK: the wheel installs in a fresh venv and runs from $WORK/elsewhere"
