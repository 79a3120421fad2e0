#!/usr/bin/env python3
"""Answers a second through nginx, with 1 and with 3 `serve-http` replicas.

Starts the loopback cluster of scripts/cluster.sh (release build) once with one replica and
once with three, signs `/ask` interactions with a key of its own (the replicas are given its
public half), sends them from N threads for a while, and prints the answers a second and the
latency percentiles of each. Nothing is asserted: this is a measure, and on 2 cores the
replicas share the same two cores, so the figures are flat (said in the README).

Needs nats-server, nginx and Python's `cryptography` (Debian: python3-cryptography).

    python3 scripts/bench-cluster.py [--seconds 15] [--threads 16] [--corpus DIR]
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

ROOT = Path(__file__).resolve().parent.parent
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
PUBLIC = KEY.public_key().public_bytes(
    serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
APPLICATION_ID = "1200000000000000001"


def interaction(n, question):
    """`/ask` in a direct message, from user n (one user each: no per-user limit)."""
    user = str(1400000000000000000 + n)
    return json.dumps({
        "id": str(1300000000000000000 + n),
        "application_id": APPLICATION_ID,
        "type": 2,
        "token": f"bench-token-{n}",
        "version": 1,
        "locale": "fr",
        "app_permissions": "2048",
        "entitlements": [],
        "attachment_size_limit": 10485760,
        "channel_id": "1200000000000000300",
        "channel": {"id": "1200000000000000300", "type": 1, "last_message_id": None,
                    "flags": 0, "recipients": [{"id": user, "username": f"u{n}",
                                                "discriminator": "0"}],
                    "permissions": "2048"},
        "user": {"id": user, "username": f"u{n}", "discriminator": "0",
                 "global_name": None, "avatar": None, "bot": False, "public_flags": 0},
        "authorizing_integration_owners": {"0": "0"},
        "context": 1,
        "data": {"id": "1200000000000001001", "name": "ask", "type": 1,
                 "options": [{"name": "question", "type": 3, "value": question}]},
    }).encode()


def sender(front, questions, deadline, counter, results, lock):
    host, port = front.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    while time.monotonic() < deadline:
        with lock:
            n = counter[0]
            counter[0] += 1
        body = interaction(n, questions[n % len(questions)])
        ts = str(int(time.time()))
        sig = KEY.sign(ts.encode() + body).hex()
        started = time.monotonic()
        try:
            conn.request("POST", "/interactions", body, {
                "content-type": "application/json",
                "x-signature-ed25519": sig, "x-signature-timestamp": ts})
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection(host, int(port), timeout=10)
            status = 0
        results.append((status, time.monotonic() - started))


def run(replicas, args, questions, kiosque):
    work = Path(tempfile.mkdtemp(prefix="kiosque-bench-cluster-"))
    base = 24000 + 10 * replicas
    env = dict(os.environ,
               CLUSTER_DIR=str(work),
               NATS_PORTS=f"{base} {base + 1} {base + 2}",
               ROUTE_PORTS=f"{base + 3} {base + 4} {base + 5}",
               REPLICAS=" ".join(f"127.0.0.{2 + i}:{base + 6}" for i in range(replicas)),
               FRONT=f"127.0.0.1:{base + 7}",
               KIOSQUE=str(kiosque),
               KIOSQUE_CORPUS=str(args.corpus),
               DISCORD_PUBLIC_KEY=PUBLIC,
               DISCORD_APPLICATION_ID=APPLICATION_ID,
               DISCORD_API_BASE="http://127.0.0.1:9",
               KIOSQUE_THESAURUS="off",
               RUST_LOG="warn,kiosque=info")
    script = str(ROOT / "scripts/cluster.sh")
    subprocess.run(["bash", script, "up"], env=env, check=True, stdout=subprocess.DEVNULL)
    try:
        time.sleep(1)
        results, lock, counter = [], threading.Lock(), [0]
        deadline = time.monotonic() + args.seconds
        threads = [threading.Thread(target=sender, args=(
            env["FRONT"], questions, deadline, counter, results, lock))
            for _ in range(args.threads)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
    finally:
        subprocess.run(["bash", script, "down"], env=env, stdout=subprocess.DEVNULL)
    ok = [d for s, d in results if s == 200]
    ok.sort()
    q = statistics.quantiles(ok, n=100) if len(ok) > 1 else [0] * 99
    return {
        "replicas": replicas,
        "sent": len(results),
        "answered": len(ok),
        "per_second": round(len(ok) / elapsed, 1),
        "p50_ms": round(q[49] * 1000, 1),
        "p99_ms": round(q[98] * 1000, 1),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--corpus", type=Path, default=ROOT / "tests/fixtures/dev-corpus")
    args = parser.parse_args()
    kiosque = ROOT / "target/release/kiosque"
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    questions = [json.loads(line)["q"] for line in
                 (ROOT / "tests/fixtures/dev-corpus-questions.jsonl").read_text().splitlines()
                 if line.strip()]
    cores = os.cpu_count()
    for replicas in (1, 3):
        figures = run(replicas, args, questions, kiosque)
        figures["cores"] = cores
        print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    sys.exit(main())
