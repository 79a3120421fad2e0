#!/bin/sh
# The bot's own time: 200 /ask interactions sent at once over the fake Discord's gateway,
# from each INTERACTION_CREATE to the bot's response, as p50 and p99 in milliseconds. It runs
# the test that checks each is answered once and rightly (tests/bot_ask.rs), in a release
# build, with KIOSQUE_BENCH_LATENCY set so that it prints the figures; it asserts no time.
# Usage: scripts/bench-bot.sh [RUNS]   (default 5; one line a run)
set -eu
runs="${1:-5}"
cd "$(dirname "$0")/.."
cargo test --release --test bot_ask --no-run
i=0
while [ "$i" -lt "$runs" ]; do
    i=$((i + 1))
    KIOSQUE_BENCH_LATENCY=1 cargo test --release --test bot_ask \
        two_hundred_questions_at_once_are_each_answered_once_and_rightly -- --exact --nocapture 2>/dev/null |
        grep '^200 concurrent /ask'
done
