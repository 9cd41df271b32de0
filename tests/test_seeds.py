"""The seed registries: every seed file has claims, every reference is used, ids are unique, line
spans are inside their files, and no 12-word run of a seed document appears in the project."""
import re
from pathlib import Path

import pytest

from pdsim.audit import check_tree
from pdsim.provenance import Registry

from .conftest import ROOT, SHARED_SEEDS

needs_seeds = pytest.mark.skipif(not SHARED_SEEDS.is_dir(), reason="../shared/seeds is not beside the project")

WORD = re.compile(r"[a-z0-9]+")
RUN = 12


def _words(text: str) -> list[str]:
    return WORD.findall(text.lower().replace("’", "'"))


@pytest.fixture(scope="module")
def reg():
    return Registry.load(ROOT / "seeds")


@needs_seeds
def test_every_seed_file_has_claims(reg):
    seeds = {p.name for p in SHARED_SEEDS.glob("*.txt")}
    claimed = {c.seed for c in reg.claims.values()}
    assert seeds <= claimed, f"seed files without claims: {sorted(seeds - claimed)}"


@needs_seeds
def test_line_spans_inside_files(reg):
    for c in reg.claims.values():
        n = len((SHARED_SEEDS / c.seed).read_text(encoding="utf-8").splitlines())
        assert 1 <= c.lines[0] <= c.lines[1] <= n, c.id


def test_contradictions_registered_both_ways(reg):
    pairs = {(c.id, o) for c in reg.claims.values() for o in c.contradicts}
    assert pairs, "the sources disagree on mechanism and tolerance; the registry must link those claims"
    for a, b in pairs:
        assert (b, a) in pairs, f"{a} contradicts {b} but not the other way round"


def test_tree_check_passes():
    """`pdsim check` on the shipped tree: every parameter sourced, every reference used."""
    assert check_tree() == []


def _project_texts():
    for p in ROOT.rglob("*"):
        if any(part in {".git", ".venv", "__pycache__", ".pytest_cache", ".hypothesis", "pdsim-demo"} or part.endswith(".egg-info") for part in p.parts):
            continue
        if p.is_file() and p.suffix in {".py", ".toml", ".md", ".ipynb", ".txt", ".csv", ".html", ".cfg"}:
            yield p


def _text_for_overlap(p: Path) -> str:
    """The file's text; for references.toml without the `title` lines, because citing a paper means
    giving its exact title (bibliographic data, which the seeds' reference lists also contain)."""
    text = p.read_text(encoding="utf-8", errors="ignore")
    if p.name == "references.toml":
        text = "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("title"))
    return text


@needs_seeds
def test_no_seed_sentences_copied():
    grams = set()
    for s in SHARED_SEEDS.glob("*.txt"):
        w = _words(s.read_text(encoding="utf-8"))
        grams.update(tuple(w[i:i + RUN]) for i in range(len(w) - RUN + 1))
    hits = []
    for p in _project_texts():
        w = _words(_text_for_overlap(p))
        for i in range(len(w) - RUN + 1):
            if tuple(w[i:i + RUN]) in grams:
                hits.append(f"{p.relative_to(ROOT)}: {' '.join(w[i:i + RUN])}")
                break
    assert not hits, "text copied from a seed document:\n" + "\n".join(hits)
