#!/usr/bin/env bash
# Set up (first time) and run the whole system with its embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python local_stack.py
