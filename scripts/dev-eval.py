#!/usr/bin/env python3
"""Scores kiosque on the development sets and re-fits its answer / related / none thresholds.

Usage:
  scripts/dev-eval.py [--kiosque PATH] [--fit] [--write] [--front] [SET ...]

SET is one of: literal, paraphrase, dev-corpus (default: all three). Each set is asked through
`kiosque ask --json --explain -` over its own corpus (the bundled articles, or
tests/fixtures/dev-corpus), with the settings of the environment (KIOSQUE_THESAURUS,
KIOSQUE_EMBEDDINGS_URL, KIOSQUE_DICTIONARY_DIR...), in an index kept under --index-root
(default target/dev-eval), one per set and embedding model, so passages are embedded once.

Counts, as kiosque is judged: a question whose answer is in the articles is a hit only when
kiosque answers it (not when it shows related passages) and the answer is in its first passage
(first) or first three (top 3); a question no article answers is refused when kiosque does not
answer it (related passages are allowed).

--fit searches the thresholds that kiosque's decision uses on the candidates `--explain`
returns, maximising top-3 hits + twice the refusals (a wrong answer is worse than none) +
a quarter of the related passages that hold the answer - a quarter of the questions nothing
answers shown related passages, and prints them: without an embedding server, the lexical confidence needed to
answer and the one needed to show related passages (the literal questions keeping every hit
they have, the unanswerable ones every refusal); with one, the meaning signal's two
thresholds (how far a passage stands out by meaning), the lexical ones kept as they are
(the words' ranking stands when it answers, so the replay is then exact but for the check
of the answering sentence);
--write also writes them to src/engine/ask/decision.json, which kiosque reads when built.

--front prints what every setting of those thresholds can reach: the Pareto front of the
share of answerable questions answered in the top 3 (all sets but literal) against the share
of unanswerable questions refused (all sets), keeping every literal hit. A smooth front with
no knee means the signals themselves do not tell the two kinds apart.
"""
import argparse
import itertools
import json
import os
import pathlib
import subprocess
import sys
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


sys.path.insert(0, str(FIX))
from score import norm  # noqa: E402  (one normalisation for both scorers)


def holds(passage, case):
    p = norm(passage.get("passage", ""))
    return passage.get("article") == case.get("source", passage.get("article")) and any(
        norm(e) in p for e in case["expect_any"]
    )


def run(kiosque, questions, corpus, index):
    env = dict(os.environ, RUST_LOG="error")
    cmd = [kiosque, "--corpus", str(corpus), "--index", str(index), "ask", "--json", "--explain", "-"]
    text = "".join(q["q"].replace("\n", " ") + "\n" for q in questions)
    out = subprocess.run(cmd, input=text, capture_output=True, text=True, env=env, check=True)
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def outcome(reply, t):
    """What kiosque would reply with thresholds t: ('answer'|'related'|'none', candidates).
    Mirrors src/engine/ask/decide.rs: the words answer when the best candidate's confidence
    reaches t["answer"] (and a date or number asked for is there); otherwise meaning answers
    when the best holds the kind of fact asked for, stands t["answer_semantic"] above the last
    of the closest passages, has a cosine of t["answer_cosine"] and stands t["answer_gap"]
    above the next closest passage."""
    cands = reply.get("candidates", [])
    if not cands:
        return "none", []
    best = cands[0]
    lex, sem = best.get("confidence", 0.0), best.get("meaning")
    answerable = best.get("answerable", True)
    if answerable and lex >= t["answer"]:
        return "answer", cands
    if (answerable and sem is not None and best.get("holds_asked", True)
            and sem >= t["answer_semantic"] and best.get("cosine", 0.0) >= t.get("answer_cosine", 2.0)
            and best.get("meaning_gap", 0.0) >= t.get("answer_gap", 2.0)):
        return "answer", cands
    if lex >= t["related"] or (sem is not None and sem >= t["related_semantic"]):
        return "related", cands
    return "none", []


def score(cases, replies, t):
    s = dict(answerable=0, first=0, top3=0, related=0, none=0, refused=0, related_none=0)
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
            s["related_none"] += kind == "related"
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
    ap.add_argument("--front", action="store_true")
    ap.add_argument("--index-root", default=str(ROOT / "target" / "dev-eval"))
    ap.add_argument("sets", nargs="*", default=list(SETS))
    args = ap.parse_args()
    current = json.loads(DECISION.read_text())
    data = []
    for name in args.sets:
        path, corpus = SETS[name]
        cases = [json.loads(l) for l in path.read_text().splitlines() if l.strip()]
        cases = [c for c in cases if c["kind"] in ANSWERABLE | {"none"}]
        served = os.environ.get("KIOSQUE_EMBEDDINGS_URL", "").strip()
        model = os.environ.get("KIOSQUE_EMBEDDINGS_MODEL", "default") if served else "words"
        index = pathlib.Path(args.index_root) / f"{name}-{re.sub(r'[^A-Za-z0-9.-]', '_', model)}"
        data.append((name, cases, run(args.kiosque, cases, corpus, index)))
    print("as kiosque replied, with the thresholds in", DECISION.relative_to(ROOT), current)
    for name, cases, replies in data:
        print(line(name, actual(cases, replies)))
    if args.front:
        front(data, current)
    if not args.fit:
        return
    has_sem = any(c.get("meaning") is not None for _, _, rs in data for r in rs for c in r.get("candidates", []))
    # A wrong answer is worse than none: refusals count twice; related passages holding the
    # answer a quarter, and related passages shown for a question nothing answers minus a
    # quarter.
    def gain(t):
        totals = [score(c, rs, t) for _, c, rs in data]
        refused = sum(s["refused"] for s in totals) / max(sum(s["none"] for s in totals), 1)
        return sum(s["top3"] + 2 * s["refused"] + 0.25 * (s["related"] - s["related_none"])
                   for s in totals), refused
    best = None
    if has_sem:
        # the words' thresholds stay: their ranking stands when they answer
        for sa, sc, sg in itertools.product([x / 1000 for x in range(0, 200, 5)] + [2.0],
                                            [x / 100 for x in range(75, 96)],
                                            [-1.0, 0.0, 0.005, 0.01, 0.02, 0.03, 0.05]):
            t = dict(current, answer_semantic=sa, answer_cosine=sc, answer_gap=sg, related_semantic=2.0)
            g, _ = gain(t)
            if best is None or (g, sa, sc, sg) > best[0]:
                best = ((g, sa, sc, sg), t)
        # then related passages by meaning, the stricter threshold on a tie
        t = best[1]
        g, sr = max((gain(dict(t, related_semantic=sr))[0], sr)
                    for sr in [x / 1000 for x in range(0, 200, 5)] + [2.0])
        best = ((g, sr), dict(t, related_semantic=sr))
    else:
        # literal questions must not lose what they have
        floor = [score(c, rs, current)["top3"] for n, c, rs in data if n == "literal"]
        # ... and the questions nothing answers no fewer refusals than now
        _, least = gain(current)
        grid = [x / 100 for x in range(5, 100, 5)]
        for a, r in itertools.product(grid, grid):
            if r > a:
                continue
            t = dict(current, answer=a, related=r)
            g, refused = gain(t)
            literal = [score(c, rs, t)["top3"] for n, c, rs in data if n == "literal"]
            if refused < least or any(l < f for l, f in zip(literal, floor)):
                continue
            if best is None or (g, a, r) > best[0]:
                best = ((g, a, r), t)
    if best is None:
        sys.exit("no thresholds keep the literal questions' hits")
    t = best[1]
    print("fitted (replayed on the candidates, without the check of the answering sentence)", t)
    for name, cases, replies in data:
        print(line(name, score(cases, replies, t)))
    if args.write:
        DECISION.write_text(json.dumps(t, indent=2) + "\n")
        print("written to", DECISION.relative_to(ROOT))


def front(data, current):
    """Prints the Pareto front of top-3 answers against refusals over the decision's grid."""
    has_sem = any(c.get("meaning") is not None for _, _, rs in data for r in rs for c in r.get("candidates", []))
    floor = {n: score(c, rs, current)["top3"] for n, c, rs in data if n == "literal"}
    sem_grid = (itertools.product([0.0, 0.02, 0.04, 0.055, 0.07], [x / 100 for x in range(78, 92)],
                                  [-1.0, 0.0, 0.01, 0.02]) if has_sem else [(2.0, 2.0, 2.0)])
    sem_grid = list(sem_grid)
    points = []
    for a in [x / 20 for x in range(2, 21)]:
        for sa, sc, sg in sem_grid:
            t = dict(current, answer=a, answer_semantic=sa, answer_cosine=sc, answer_gap=sg)
            totals = {n: score(c, rs, t) for n, c, rs in data}
            if any(totals[n]["top3"] < f for n, f in floor.items()):
                continue
            asked = [s for n, s in totals.items() if n != "literal"]
            top = sum(s["top3"] for s in asked) / max(sum(s["answerable"] for s in asked), 1)
            refused = sum(s["refused"] for s in totals.values()) / max(sum(s["none"] for s in totals.values()), 1)
            points.append((refused, top, t))
    print("front: answered in the top 3 (all but literal) against refused (all sets), literal hits kept")
    best = -1.0
    for refused, top, t in sorted(points, key=lambda p: (-p[0], -p[1])):
        if top > best:
            best = top
            extra = (f" cosine {t['answer_cosine']} above {t['answer_semantic']} gap {t['answer_gap']}"
                     if has_sem else "")
            print(f"  top 3 {100 * top:3.0f} %  refused {100 * refused:3.0f} %   answer {t['answer']}{extra}")


if __name__ == "__main__":
    main()
