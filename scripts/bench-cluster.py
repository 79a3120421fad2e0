#!/usr/bin/env python3
"""Answers a second through nginx, with 1 and with 3 `serve-http` replicas; or, with
`--freshness N`, how a corpus's generations travel.

Starts the loopback cluster of scripts/cluster.sh (release build) once with one replica and
once with three, signs `/ask` interactions with a key of its own (the replicas are given its
public half), sends them from N threads for a while, and prints the answers a second and the
latency percentiles of each. Nothing is asserted: this is a measure, and on 2 cores the
replicas share the same two cores, so the figures are flat (said in the README).

With `--freshness N`, on a copy of the corpus: how long the cluster takes to come up (the
writer builds and publishes its first generation, each of 3 replicas copies it), then, N
times, an article added to the corpus and how long after the writer's commit each replica
answers a question only it answers (direct to the replica), with what the writer said of
its announcement and publication.

Needs nats-server, nginx and Python's `cryptography` (Debian: python3-cryptography).

    python3 scripts/bench-cluster.py [--seconds 15] [--threads 16] [--corpus DIR]
    python3 scripts/bench-cluster.py --freshness 10 --corpus target/bench-corpus
"""

import argparse
import http.client
import json
import os
import re
import shutil
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


def cluster_env(work, replicas, corpus, kiosque):
    base = 24000 + 10 * replicas
    return dict(os.environ,
               CLUSTER_DIR=str(work),
               NATS_PORTS=f"{base} {base + 1} {base + 2}",
               ROUTE_PORTS=f"{base + 3} {base + 4} {base + 5}",
               REPLICAS=" ".join(f"127.0.0.{2 + i}:{base + 6}" for i in range(replicas)),
               FRONT=f"127.0.0.1:{base + 7}",
               KIOSQUE=str(kiosque),
               KIOSQUE_CORPUS=str(corpus),
               DISCORD_PUBLIC_KEY=PUBLIC,
               DISCORD_APPLICATION_ID=APPLICATION_ID,
               DISCORD_API_BASE="http://127.0.0.1:9",
               KIOSQUE_THESAURUS="off",
               REPLICA_WAIT="3600",
               RUST_LOG="warn,kiosque=info")


def run(replicas, args, questions, kiosque):
    work = Path(tempfile.mkdtemp(prefix="kiosque-bench-cluster-"))
    env = cluster_env(work, replicas, args.corpus, kiosque)
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


def post(addr, body):
    """One signed interaction straight to a replica; the response's body ('' on failure)."""
    host, port = addr.split(":")
    ts = str(int(time.time()))
    sig = KEY.sign(ts.encode() + body).hex()
    try:
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        conn.request("POST", "/interactions", body, {
            "content-type": "application/json",
            "x-signature-ed25519": sig, "x-signature-timestamp": ts})
        return conn.getresponse().read().decode("utf-8", "replace")
    except (OSError, http.client.HTTPException):
        return ""


def wait_log(path, text, count, within):
    """Waits until the log at `path` holds `text` `count` times; when, or None."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if path.read_text(errors="replace").count(text) >= count:
                return time.monotonic()
        except OSError:
            pass
        time.sleep(0.02)
    return None


def freshness(args, kiosque):
    work = Path(tempfile.mkdtemp(prefix="kiosque-bench-fresh-"))
    corpus = work / "corpus"
    corpus.mkdir()
    for f in args.corpus.glob("*.txt"):
        shutil.copy(f, corpus / f.name)
    articles = len(list(corpus.glob("*.txt")))
    env = cluster_env(work, 3, corpus, kiosque)
    script = str(ROOT / "scripts/cluster.sh")
    replicas = env["REPLICAS"].split()
    started = time.monotonic()
    subprocess.run(["bash", script, "up"], env=env, check=True, stdout=subprocess.DEVNULL)
    up = time.monotonic() - started
    writer = work / "writer.log"
    first = re.search(r"published generation #1 .*?: (\d+) files sent \((\d+) bytes\) in ([0-9.]+) s",
                      writer.read_text(errors="replace"))
    fresh, announced, published = [], 0, []
    try:
        for k in range(args.freshness):
            word = f"Zorbaquix{k}"
            log = writer.read_text(errors="replace")
            commits = log.count("the corpus changed: reindexed")
            announcements = log.count("announced generation #")
            publications = log.count("published generation #")
            (corpus / f"zz-fresh-{k}.txt").write_text(
                f"Le chalutier {word} est rentré au port de Nouadhibou\n\n"
                f"Le chalutier {word} a débarqué vendredi quarante tonnes de poulpe au port de "
                f"Nouadhibou, a indiqué l'armateur, qui prévoit une nouvelle sortie en mer.\n")
            committed = wait_log(writer, "the corpus changed: reindexed", commits + 1, 600)
            if committed is None:
                raise SystemExit(f"article {k} never committed: see {writer}")
            question = f"Combien de tonnes le chalutier {word} a-t-il débarqué ?"
            answered = []
            for i, addr in enumerate(replicas):
                deadline = time.monotonic() + 120
                n = 5_000_000 + 100_000 * (3 * k + i)
                # each poll by a user of its own: the per-user limit never refuses one
                while word not in post(addr, interaction(n, question)) and time.monotonic() < deadline:
                    n += 1
                    time.sleep(0.02)
                answered.append(time.monotonic() - committed)
            fresh.append(max(answered))
            if wait_log(writer, "announced generation #", announcements + 1, 1):
                announced += 1
            if wait_log(writer, "published generation #", publications + 1, 120):
                m = re.findall(r"published generation #\d+ .*?in ([0-9.]+) s", writer.read_text(errors="replace"))
                published.append(float(m[-1]))
            time.sleep(2.5)  # the watcher's quiet time before the next article
    finally:
        subprocess.run(["bash", script, "down"], env=env, stdout=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)
    fresh.sort()
    return {
        "articles": articles,
        "cluster_up_s": round(up, 1),
        "first_publication": first and {"files": int(first[1]), "bytes": int(first[2]),
                                        "seconds": float(first[3])},
        "added": len(fresh),
        "announced": announced,
        "publication_s_median": round(statistics.median(published), 3) if published else None,
        "on_all_3_replicas_after_commit_s": {
            "p50": round(statistics.median(fresh), 3),
            "max": round(fresh[-1], 3)},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--corpus", type=Path, default=ROOT / "tests/fixtures/dev-corpus")
    parser.add_argument("--freshness", type=int, default=0, metavar="N",
                        help="measure N articles' travel instead of answers a second")
    args = parser.parse_args()
    kiosque = ROOT / "target/release/kiosque"
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    if args.freshness:
        figures = freshness(args, kiosque)
        figures["cores"] = os.cpu_count()
        print(json.dumps(figures), flush=True)
        return 0
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
