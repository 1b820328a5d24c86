#!/usr/bin/env bash
# Installs what the tests need, then runs lint, type checks and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --dev
# The web page's browser tests drive Debian's chromium (never `playwright install`, which downloads one).
# Only root with apt can install it; elsewhere those tests skip and say why.
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> installing chromium (for tests/e2e/test_web_page.py)"
    apt-get install -y -q chromium >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; } \
      || echo "could not install chromium: the browser tests will skip"
  else
    echo "chromium is missing and this is not root with apt-get: the browser tests will skip"
  fi
fi
echo "==> ruff"
.venv/bin/ruff check src tests bench
echo "==> mypy"
.venv/bin/mypy
echo "==> pytest"
.venv/bin/python -m pytest "$@"
