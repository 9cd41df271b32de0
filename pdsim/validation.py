"""Claims as checks: each check runs a small scenario or calculation and compares it with a claim.

Checks register with the `check` decorator (modules in `pdsim.checks`); `run_checks` evaluates
them and pairs every claim of seeds/claims.toml with a verdict: reproduced, not reproduced,
or not modelled (with the reason).
"""
from __future__ import annotations

import csv
import importlib
import pkgutil
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError, UnknownNameError, suggest

__all__ = ["Outcome", "Check", "check", "checks", "run_checks", "write_report", "Row", "VERDICTS"]

VERDICTS = ("reproduced", "not reproduced", "not modelled")


@dataclass(frozen=True)
class Outcome:
    """What a check found: the expectation in words, the simulated value in words, and the verdict."""

    expected: str
    simulated: str
    reproduced: bool


@dataclass(frozen=True)
class Check:
    """A registered check: name, the claim ids it tests, the function, and whether it should reproduce.

    ``expect = "not reproduced"`` marks a known, explained failure (``reason`` says why); such a
    check is run and reported but does not fail `pdsim validate`.
    """

    name: str
    claims: tuple[str, ...]
    func: Callable[[], Outcome]
    expect: str = "reproduced"
    reason: str = ""


_REGISTRY: dict[str, Check] = {}


def check(name: str, claims: list[str] | tuple[str, ...], expect: str = "reproduced", reason: str = ""):
    """Register a function returning an `Outcome` as the check ``name`` for ``claims``."""
    if expect not in ("reproduced", "not reproduced"):
        raise InputError(f"check '{name}': expect must be 'reproduced' or 'not reproduced' (got {expect!r}).")
    if expect == "not reproduced" and not reason:
        raise InputError(f"check '{name}' is expected not to reproduce; give the reason.")

    def deco(func: Callable[[], Outcome]) -> Callable[[], Outcome]:
        if name in _REGISTRY and _REGISTRY[name].func.__qualname__ != func.__qualname__:
            raise InputError(f"check name '{name}' is registered twice; names must be unique.")
        _REGISTRY[name] = Check(name=name, claims=tuple(claims), func=func, expect=expect, reason=reason)
        return func

    return deco


def checks() -> dict[str, Check]:
    """Every registered check (imports all modules of `pdsim.checks`)."""
    from . import checks as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"{pkg.__name__}.{mod.name}")
    return dict(_REGISTRY)


@dataclass(frozen=True)
class Row:
    """One line of the validation report."""

    claim: str
    paraphrase: str
    check: str
    expected: str
    simulated: str
    verdict: str
    reason: str
    must_reproduce: bool


def run_checks(names: list[str] | None = None, progress: bool = False) -> list[Row]:
    """Run the checks (all, or ``names``) and return one row per claim (claims without a check
    appear as "not modelled" when all checks are run)."""
    from .catalog import registry

    reg = registry()
    all_checks = checks()
    if names:
        for n in names:
            if n not in all_checks:
                raise UnknownNameError(f"Unknown check '{n}'.{suggest(n, all_checks)}")
        selected = {n: all_checks[n] for n in names}
    else:
        selected = all_checks
    results: dict[str, tuple[Check, Outcome | None, str]] = {}
    items = list(selected.values())
    iterator = items
    if progress:
        try:
            from tqdm import tqdm

            iterator = tqdm(items, desc="checks", unit="check")
        except ImportError:  # progress bar is optional
            pass
    for chk in iterator:
        try:
            out = chk.func()
            results[chk.name] = (chk, out, "")
        except Exception as exc:  # a crashing check is a failed check, reported with its error
            results[chk.name] = (chk, None, f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}")
    rows: list[Row] = []
    checked_claims: set[str] = set()
    for chk, out, err in results.values():
        for cid in chk.claims:
            checked_claims.add(cid)
            claim = reg.claims.get(cid)
            para = claim.paraphrase if claim else f"(claim id '{cid}' not in seeds/claims.toml)"
            if out is None:
                rows.append(Row(cid, para, chk.name, "", err.splitlines()[0], "not reproduced", "the check raised: " + err.splitlines()[0], chk.expect == "reproduced"))
                continue
            verdict = "reproduced" if out.reproduced else "not reproduced"
            reason = chk.reason if not out.reproduced else ""
            rows.append(Row(cid, para, chk.name, out.expected, out.simulated, verdict, reason, chk.expect == "reproduced"))
    if not names:
        for cid, claim in reg.claims.items():
            if cid not in checked_claims:
                reason = claim.not_modelled or "no check written for this claim yet"
                rows.append(Row(cid, claim.paraphrase, "", "", "", "not modelled", reason, False))
    rows.sort(key=lambda r: (VERDICTS.index(r.verdict), r.claim))
    return rows


def failures(rows: list[Row]) -> list[Row]:
    """Rows whose check was expected to reproduce but did not."""
    return [r for r in rows if r.must_reproduce and r.verdict != "reproduced"]


def write_report(rows: list[Row], out_dir: Path) -> tuple[Path, Path]:
    """Write report.csv and report.md into ``out_dir``; return their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = out_dir / "report.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["claim", "paraphrase", "check", "expected", "simulated", "verdict", "reason"])
        for r in rows:
            w.writerow([r.claim, r.paraphrase, r.check, r.expected, r.simulated, r.verdict, r.reason])
    counts = {v: sum(r.verdict == v for r in rows) for v in VERDICTS}
    md = ["# pdsim validation report", "",
          f"Claims: {len(rows)} rows — " + ", ".join(f"{counts[v]} {v}" for v in VERDICTS) + ".", "",
          "| claim | check | expected | simulated | verdict | reason |", "|---|---|---|---|---|---|"]
    for r in rows:
        cells = [r.claim, r.check, r.expected, r.simulated, r.verdict, r.reason]
        md.append("| " + " | ".join(c.replace("|", "/").replace("\n", " ") for c in cells) + " |")
    md_path = out_dir / "report.md"
    md_path.write_text("\n".join(md) + "\n", encoding="utf-8")
    return csv_path, md_path
