#!/usr/bin/env python3
"""Scores kiosque on the development sets and re-fits its answer / related / none thresholds.

Usage:
  scripts/dev-eval.py [--kiosque PATH] [--fit] [--write] [SET ...]

SET is one of: literal, paraphrase, dev-corpus (default: all three). Each set is asked through
`kiosque ask --json --explain -` over its own corpus (the bundled articles, or
tests/fixtures/dev-corpus), in a temporary index, with the settings of the environment
(KIOSQUE_THESAURUS, KIOSQUE_EMBEDDINGS_URL, KIOSQUE_DICTIONARY_DIR...).

Counts, as kiosque is judged: a question whose answer is in the articles is a hit only when
kiosque answers it (not when it shows related passages) and the answer is in its first passage
(first) or first three (top 3); a question no article answers is refused when kiosque does not
answer it (related passages are allowed).

--fit searches the thresholds that kiosque's decision uses (the lexical confidence needed to
answer, the one needed to show related passages, and the same for the semantic similarity
when an embedding server is set) on the candidates `--explain` returns, maximising
top-3 hits + refusals with at least 80 % of unanswerable questions refused, and prints them;
--write also writes them to src/engine/ask/decision.json, which kiosque reads when built.
"""
import argparse
import itertools
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import unicodedata
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIX = ROOT / "tests" / "fixtures"
SETS = {
    "literal": (FIX / "dev-questions.jsonl", ROOT / "corpus"),
    "paraphrase": (FIX / "paraphrase-questions.jsonl", ROOT / "corpus"),
    "dev-corpus": (FIX / "dev-corpus-questions.jsonl", FIX / "dev-corpus"),
}
DECISION = ROOT / "src" / "engine" / "ask" / "decision.json"
ANSWERABLE = {"answer", "paraphrase", "paraphrase_en", "cross"}


def norm(text):
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("\u2019", "'").replace("\u00a0", " ").replace("\u202f", " ")
    return re.sub(r"\s+", " ", text).strip().lower()


def holds(passage, case):
    p = norm(passage.get("passage", ""))
    return passage.get("article") == case.get("source", passage.get("article")) and any(
        norm(e) in p for e in case["expect_any"]
    )


def run(kiosque, questions, corpus):
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, RUST_LOG="error")
        cmd = [kiosque, "--corpus", str(corpus), "--index", f"{tmp}/index", "ask", "--json", "--explain", "-"]
        text = "".join(q["q"].replace("\n", " ") + "\n" for q in questions)
        out = subprocess.run(cmd, input=text, capture_output=True, text=True, env=env, check=True)
        return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def outcome(reply, t):
    """What kiosque would reply with thresholds t: ('answer'|'related'|'none', candidates)."""
    cands = reply.get("candidates", [])
    if not cands:
        return "none", []
    best = cands[0]
    lex, sem = best.get("confidence", 0.0), best.get("semantic")
    if best.get("answerable", True) and (lex >= t["answer"] or (sem is not None and sem >= t["answer_semantic"])):
        return "answer", cands
    if lex >= t["related"] or (sem is not None and sem >= t["related_semantic"]):
        return "related", cands
    return "none", []


def score(cases, replies, t):
    s = dict(answerable=0, first=0, top3=0, related=0, none=0, refused=0)
    for case, reply in zip(cases, replies):
        kind, cands = outcome(reply, t)
        if case["kind"] in ANSWERABLE:
            s["answerable"] += 1
            if kind == "answer":
                s["first"] += bool(cands) and holds(cands[0], case)
                s["top3"] += any(holds(c, case) for c in cands[:3])
            elif kind == "related":
                s["related"] += any(holds(c, case) for c in cands[:3])
        elif case["kind"] == "none":
            s["none"] += 1
            s["refused"] += kind != "answer"
    return s


def actual(cases, replies):
    """What kiosque replied, with the thresholds it was built with."""
    s = dict(answerable=0, first=0, top3=0, related=0, none=0, refused=0)
    for case, reply in zip(cases, replies):
        hits, related = reply.get("hits", []), reply.get("related", [])
        if case["kind"] in ANSWERABLE:
            s["answerable"] += 1
            if reply.get("answered"):
                s["first"] += bool(hits) and holds(hits[0], case)
                s["top3"] += any(holds(h, case) for h in hits[:3])
            else:
                s["related"] += any(holds(h, case) for h in related[:3])
        elif case["kind"] == "none":
            s["none"] += 1
            s["refused"] += not reply.get("answered")
    return s


def line(name, s):
    a, n = max(s["answerable"], 1), max(s["none"], 1)
    return (f"{name:<11} top3 {s['top3']:>3}/{s['answerable']:<3} ({100*s['top3']/a:3.0f} %)  "
            f"first {s['first']:>3}/{s['answerable']:<3} ({100*s['first']/a:3.0f} %)  "
            f"related-only {s['related']:>3}  refused {s['refused']:>2}/{s['none']:<2} ({100*s['refused']/n:3.0f} %)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kiosque", default=str(ROOT / "target" / "release" / "kiosque"))
    ap.add_argument("--fit", action="store_true")
    ap.add_argument("--write", action="store_true")
    ap.add_argument("sets", nargs="*", default=list(SETS))
    args = ap.parse_args()
    current = json.loads(DECISION.read_text())
    data = []
    for name in args.sets:
        path, corpus = SETS[name]
        cases = [json.loads(l) for l in path.read_text().splitlines() if l.strip()]
        cases = [c for c in cases if c["kind"] in ANSWERABLE | {"none"}]
        data.append((name, cases, run(args.kiosque, cases, corpus)))
    print("as kiosque replied, with the thresholds in", DECISION.relative_to(ROOT), current)
    for name, cases, replies in data:
        print(line(name, actual(cases, replies)))
    if not args.fit:
        return
    grid = [x / 100 for x in range(5, 100, 5)]
    sem_grid = [x / 100 for x in range(70, 100, 2)] + [2.0]
    has_sem = any(c.get("semantic") is not None for _, _, rs in data for r in rs for c in r.get("candidates", []))
    best = None
    for a, r in itertools.product(grid, grid):
        if r > a:
            continue
        for sa, sr in itertools.product(sem_grid if has_sem else [2.0], sem_grid if has_sem else [2.0]):
            if sr > sa:
                continue
            t = dict(answer=a, related=r, answer_semantic=sa, related_semantic=sr)
            totals = [score(c, rs, t) for _, c, rs in data]
            refused = sum(s["refused"] for s in totals) / max(sum(s["none"] for s in totals), 1)
            if refused < 0.8:
                continue
            gain = sum(s["top3"] + s["refused"] + 0.25 * s["related"] for s in totals)
            key = (gain, a, r)
            if best is None or key > best[0]:
                best = (key, t)
    if best is None:
        sys.exit("no thresholds refuse 80 % of the unanswerable questions")
    t = best[1]
    print("fitted (replayed on the candidates, without the check of the answering sentence)", t)
    for name, cases, replies in data:
        print(line(name, score(cases, replies, t)))
    if args.write:
        DECISION.write_text(json.dumps(t, indent=2) + "\n")
        print("written to", DECISION.relative_to(ROOT))


if __name__ == "__main__":
    main()
