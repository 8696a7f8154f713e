#!/usr/bin/env bash
# Set up (first time), lint, format-check and type-check, then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The browser tests drive Debian's Chromium (Playwright never downloads a browser here),
# with a CJK font so the screenshots show Chinese rather than boxes; every PDF (certificate,
# approval form) embeds the same font (fonts-wqy-zenhei), found at run time.
if ! command -v chromium >/dev/null 2>&1 || [ ! -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's chromium and the CJK font for the browser tests and PDFs ..."
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null
  else
    echo "warning: chromium or a CJK font is missing and cannot be installed here" >&2
  fi
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
# Given test paths (a file or folder that exists, with or without ::test), run just those;
# otherwise the whole suite: everything but the drills on two workers (pytest-xdist), and
# beside them the drills in a process of their own: they mostly wait out the real outages
# they stage. Their report follows the rest's. An option's value (`-p no:cacheprovider`)
# is not a path.
for arg in "$@"; do
  if [ -e "${arg%%::*}" ]; then exec .venv/bin/python -m pytest "$@"; fi
done
drills_log=$(mktemp)
trap 'rm -f "$drills_log"' EXIT
.venv/bin/python -m pytest tests/drills "$@" >"$drills_log" 2>&1 &
drills=$!
suite_status=0
.venv/bin/python -m pytest -n 2 --ignore=tests/drills "$@" || suite_status=$?
drills_status=0
wait "$drills" || drills_status=$?
echo "---- the drills (tests/drills), run beside the rest ----"
cat "$drills_log"
[ "$suite_status" -eq 0 ] || exit "$suite_status"
exit "$drills_status"
