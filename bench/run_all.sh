#!/usr/bin/env bash
# Run every benchmark with its defaults from the project root (results on stdout).
# Extra arguments go to the deadline storm, e.g. `bench/run_all.sh --mode reminder`.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m bench.cli_latency
.venv/bin/python -m bench.simulate_time
.venv/bin/python -m bench.deadline_storm --n 2000 "$@"
.venv/bin/python -m bench.worker_memory --n 10000
.venv/bin/python -m bench.console_load --dir /tmp/console-10k
.venv/bin/python -m bench.term_history
.venv/bin/python -m bench.term_history --review
.venv/bin/python -m bench.drills
