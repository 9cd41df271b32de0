"""Claims as checks: each check runs a study scenario through `pdsim.simulate` and compares it with a claim.

Checks register with the `check` decorator (modules in `pdsim.checks`) and read their numbers from
`study(name)`, the Result of ``models/scenarios/studies/<name>.toml`` — the same call a user makes.
`run_checks` pairs every claim of seeds/claims.toml (and every literature reference a check names)
with a verdict (reproduced, not reproduced, not modelled) and a basis: ``calibrated`` when the claim
set a parameter of the model (`Claim.calibrates`), ``independent`` otherwise.
"""
from __future__ import annotations

import contextlib
import contextvars
import csv
import importlib
import pkgutil
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .errors import InputError, PdsimError, UnknownNameError, suggest

__all__ = ["Outcome", "Check", "check", "checks", "run_checks", "write_report", "Row", "VERDICTS", "BASES",
           "study", "study_command", "without_drugs", "counts"]

VERDICTS = ("reproduced", "not reproduced", "not modelled")
#: whether the claim (or reference) behind a row set a parameter of the model it is checked against
BASES = ("calibrated", "independent")
#: folder of models/scenarios holding the study designs the checks run
STUDIES = "studies"


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
    #: literature reference ids the check tests directly (rows keyed by reference id)
    references: tuple[str, ...] = ()
    #: study scenarios (names under models/scenarios/studies) the check runs through `pdsim.simulate`
    studies: tuple[str, ...] = ()
    #: parameter ids ``"<models subfolder>/<file stem>:<dotted key>"`` the verdict depends on
    depends: tuple[str, ...] = ()
    #: drugs whose removal from the study must change the verdict
    remove: tuple[str, ...] = ()
    #: for reference rows: parameter ids the reference was used to set (basis "calibrated")
    calibrates: tuple[str, ...] = ()


_REGISTRY: dict[str, Check] = {}


def check(name: str, claims: list[str] | tuple[str, ...] = (), *, references: list[str] | tuple[str, ...] = (),
          studies: list[str] | tuple[str, ...] = (), depends: list[str] | tuple[str, ...] = (),
          remove: list[str] | tuple[str, ...] = (), calibrates: list[str] | tuple[str, ...] = (),
          expect: str = "reproduced", reason: str = ""):
    """Register a function returning an `Outcome` as the check ``name`` for ``claims`` (and ``references``).

    ``studies`` names the study scenarios it runs (the report gives the command that reruns each);
    ``depends`` and ``remove`` name what must be able to flip its verdict (tests/test_validation
    perturbs each parameter x10 and x0.1 and removes each drug).
    """
    if expect not in ("reproduced", "not reproduced"):
        raise InputError(f"check '{name}': expect must be 'reproduced' or 'not reproduced' (got {expect!r}).")
    if expect == "not reproduced" and not reason:
        raise InputError(f"check '{name}' is expected not to reproduce; give the reason.")
    if not claims and not references:
        raise InputError(f"check '{name}' tests nothing; give the claim ids (claims=[...]) or literature ids (references=[...]).")
    for pid in depends:
        if ":" not in pid or "/" not in pid.split(":")[0]:
            raise InputError(f"check '{name}': parameter id {pid!r} must read '<models subfolder>/<file>:<key>', "
                             f"e.g. 'systems/hpa:parameters.drug_attenuation'.")

    def deco(func: Callable[[], Outcome]) -> Callable[[], Outcome]:
        if name in _REGISTRY and _REGISTRY[name].func.__qualname__ != func.__qualname__:
            raise InputError(f"check name '{name}' is registered twice; names must be unique.")
        _REGISTRY[name] = Check(name=name, claims=tuple(claims), func=func, expect=expect, reason=reason,
                                references=tuple(references), studies=tuple(studies), depends=tuple(depends),
                                remove=tuple(remove), calibrates=tuple(calibrates))
        return func

    return deco


# ---------------------------------------------------------------------- studies: the path users run
#: drugs taken out of every study within `without_drugs` (a context variable: safe across threads)
_REMOVED: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("pdsim_removed_drugs", default=())
_STUDY_CACHE: dict[tuple[str, str, tuple[str, ...]], Any] = {}


def study_command(name: str) -> str:
    """The command that reruns study ``name`` as a user would."""
    return f"pdsim run {STUDIES}/{name}"


def _load_study(name: str):
    from .scenario import load_scenario

    sc = load_scenario(f"{STUDIES}/{name}")  # the name `pdsim list scenarios` shows and `pdsim run` takes
    removed = _REMOVED.get()
    if not removed:
        return sc
    arms = tuple(replace(a, doses=tuple(d for d in a.doses if d.drug not in removed)) for a in sc.arms)
    return replace(sc, arms=arms)


def study(name: str):
    """The Result of study scenario ``name`` (``models/scenarios/studies/<name>.toml``) through `pdsim.simulate`.

    Cached per catalogue folder and per removal, so the checks that read one study share one run.
    """
    from .catalog import root
    from .simulate import simulate

    key = (name, str(root()), _REMOVED.get())
    if key not in _STUDY_CACHE:
        _STUDY_CACHE[key] = simulate(_load_study(name))
    return _STUDY_CACHE[key]


def clear_studies() -> None:
    """Forget every cached study Result (after editing models/ in a running session)."""
    _STUDY_CACHE.clear()


@contextlib.contextmanager
def without_drugs(*drugs: str) -> Iterator[None]:
    """Within the block, every study runs with the doses of ``drugs`` removed (a perturbation of the tests)."""
    token = _REMOVED.set(tuple(sorted(set(_REMOVED.get()) | set(drugs))))
    try:
        yield
    finally:
        _REMOVED.reset(token)


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
    basis: str = "independent"
    scenario: str = ""
    command: str = ""


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
        scen = "; ".join(f"{STUDIES}/{n}" for n in chk.studies)
        cmd = "; ".join(study_command(n) for n in chk.studies)
        keys = [(cid, "claim") for cid in chk.claims] + [(rid, "reference") for rid in chk.references]
        for key, what in keys:
            if what == "claim":
                checked_claims.add(key)
                claim = reg.claims.get(key)
                para = claim.paraphrase if claim else f"(claim id '{key}' not in seeds/claims.toml)"
                basis = "calibrated" if claim is not None and claim.calibrates else "independent"
            else:
                ref = reg.references.get(key)
                para = (f"literature: {ref.authors} ({ref.year}) {ref.title}" if ref
                        else f"(reference id '{key}' not in seeds/references.toml)")
                basis = "calibrated" if chk.calibrates else "independent"
            common = dict(basis=basis, scenario=scen, command=cmd)
            if out is None:
                first = err.splitlines()[0]
                rows.append(Row(key, para, chk.name, "", first, "not reproduced", "the check raised: " + first,
                                chk.expect == "reproduced", **common))
                continue
            verdict = "reproduced" if out.reproduced else "not reproduced"
            reason = chk.reason if not out.reproduced else ""
            rows.append(Row(key, para, chk.name, out.expected, out.simulated, verdict, reason,
                            chk.expect == "reproduced", **common))
    if not names:
        for cid, claim in reg.claims.items():
            if cid not in checked_claims:
                reason = claim.not_modelled or "no check written for this claim yet"
                basis = "calibrated" if claim.calibrates else "independent"
                rows.append(Row(cid, claim.paraphrase, "", "", "", "not modelled", reason, False, basis=basis))
    rows.sort(key=lambda r: (VERDICTS.index(r.verdict), r.claim, r.check))
    return rows


#: the four headings README and the report count rows under
COUNT_LABELS = ("calibrated to", "reproduced independently", "not reproduced", "not modelled")


def counts(rows: list[Row]) -> dict[str, int]:
    """Rows per heading: reproduced rows split by basis ("calibrated to" / "reproduced independently")."""
    out = dict.fromkeys(COUNT_LABELS, 0)
    for r in rows:
        if r.verdict == "reproduced":
            out["calibrated to" if r.basis == "calibrated" else "reproduced independently"] += 1
        else:
            out[r.verdict] += 1
    return out


def failures(rows: list[Row]) -> list[Row]:
    """Rows whose check was expected to reproduce but did not."""
    return [r for r in rows if r.must_reproduce and r.verdict != "reproduced"]


_COLUMNS = ("claim", "paraphrase", "check", "basis", "scenario", "command", "expected", "simulated", "verdict", "reason")


def write_report(rows: list[Row], out_dir: Path) -> tuple[Path, Path]:
    """Write report.csv and report.md into ``out_dir``; return their paths.

    Every row names its basis (calibrated: the claim set a model parameter; independent), the
    study scenario it ran and the command that reruns it.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = out_dir / "report.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(_COLUMNS)
        for r in rows:
            w.writerow([getattr(r, c) for c in _COLUMNS])
    c = counts(rows)
    md = ["# pdsim validation report", "",
          f"Rows: {len(rows)} — " + ", ".join(f"{c[k]} {k}" for k in COUNT_LABELS) + ".", "",
          "A claim that set a parameter of the model is *calibrated*: reproducing it shows consistency, "
          "not prediction. Only *independent* rows test the model.", "",
          "| claim | check | basis | expected | simulated | verdict | reason | rerun |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        cells = [r.claim, r.check, r.basis, r.expected, r.simulated, r.verdict, r.reason,
                 f"`{r.command}`" if r.command else ""]
        md.append("| " + " | ".join(x.replace("|", "/").replace("\n", " ") for x in cells) + " |")
    md_path = out_dir / "report.md"
    md_path.write_text("\n".join(md) + "\n", encoding="utf-8")
    return csv_path, md_path


# ---------------------------------------------------------------------- can each check fail?
#: the factors each parameter a check depends on is scaled by
PERTURBATION_FACTORS = (10.0, 0.1)


def _scale_parameter(models: Path, pid: str, factor: float) -> tuple[Path, str]:
    """Multiply the value of parameter ``pid`` in the TOML files under ``models`` by ``factor`` (in place);
    return the file and its text before the change."""
    import re

    stem, _, key = pid.partition(":")
    path = models / f"{stem}.toml"
    parts = key.split(".")
    header, last = "[" + ".".join(parts[:-1]) + "]", parts[-1]
    original = path.read_text(encoding="utf-8")
    lines = original.splitlines(keepends=True)
    start = next((i for i, ln in enumerate(lines) if ln.strip() == header), None)
    if start is None:
        raise UnknownNameError(f"parameter {pid}: no table {header} in {path}.")
    pat = re.compile(rf"^{re.escape(last)}\s*=\s*\{{\s*value\s*=\s*([-+0-9.eE]+)")
    for i in range(start + 1, len(lines)):
        if lines[i].startswith("["):
            break
        m = pat.match(lines[i])
        if m:
            new = repr(float(m.group(1)) * factor)
            lines[i] = lines[i][:m.start(1)] + new + lines[i][m.end(1):]
            path.write_text("".join(lines), encoding="utf-8")
            return path, original
    raise UnknownNameError(f"parameter {pid}: no `{last} = {{ value = ... }}` under {header} in {path}.")


def perturbation_verdicts(names: list[str] | None = None, first_flip: bool = False) -> dict[str, dict[str, bool | None]]:
    """Verdict of each check (all, or ``names``) as registered and under each perturbation it names.

    Every parameter in a check's ``depends`` is scaled x10 and x0.1 in a temporary copy of models/
    (so the whole path — catalogue, `pdsim.simulate`, the check — sees it), and every drug in its
    ``remove`` is taken out of its studies. Returns check → {"baseline" or perturbation label →
    reproduced}. A check whose verdict never changes cannot fail. With ``first_flip`` a check is not
    perturbed again once its verdict has changed (drug removals first, then its ``depends`` in order).
    """
    import os
    import shutil
    import tempfile

    from . import catalog

    selected = {n: c for n, c in checks().items() if names is None or n in names}
    out: dict[str, dict[str, bool | None]] = {n: {"baseline": c.func().reproduced} for n, c in selected.items()}

    def wanted(n: str) -> bool:
        return not (first_flip and flips(out[n]))

    for drug in sorted({d for c in selected.values() for d in c.remove}):
        with without_drugs(drug):
            for n, c in selected.items():
                if drug in c.remove and wanted(n):
                    out[n][f"without {drug}"] = c.func().reproduced
    pids = list(dict.fromkeys(p for c in selected.values() for p in c.depends))
    here = catalog.root()
    old_home = os.environ.get("PDSIM_HOME")
    with tempfile.TemporaryDirectory(prefix="pdsim-perturb-") as tmp:
        dst = Path(tmp)
        shutil.copytree(here / "models", dst / "models")
        shutil.copytree(here / "seeds", dst / "seeds")
        os.environ["PDSIM_HOME"] = str(dst)
        try:
            for pid in pids:
                for f in PERTURBATION_FACTORS:
                    todo = [n for n, c in selected.items() if pid in c.depends and wanted(n)]
                    if not todo:
                        continue
                    path, original = _scale_parameter(dst / "models", pid, f)
                    catalog.clear_cache()
                    _STUDY_CACHE.clear()
                    try:
                        for n in todo:
                            try:
                                out[n][f"x{f:g} {pid}"] = selected[n].func().reproduced
                            except PdsimError:  # a value the model rejects (e.g. fu > 1): no verdict, no flip
                                out[n][f"x{f:g} {pid}"] = None
                    finally:
                        path.write_text(original, encoding="utf-8")  # the copy is the catalogue again
        finally:
            if old_home is None:
                os.environ.pop("PDSIM_HOME", None)
            else:
                os.environ["PDSIM_HOME"] = old_home
            catalog.clear_cache()
            _STUDY_CACHE.clear()
    return out


def flips(verdicts: dict[str, bool | None]) -> list[str]:
    """The perturbations that change a check's verdict from its baseline (rejected values do not count)."""
    return [k for k, v in verdicts.items() if k != "baseline" and v is not None and v != verdicts["baseline"]]


def perturbation_table(verdicts: dict[str, dict[str, bool | None]]) -> str:
    """Markdown table: per check, its verdict as registered and the perturbations that change it."""
    lines = ["| check | verdict | changed by |", "|---|---|---|"]
    for name in sorted(verdicts):
        v = verdicts[name]
        changed = ", ".join(f"`{k}`" for k in flips(v)) or "nothing (robust to every single x10/x0.1 change)"
        lines.append(f"| {name} | {'reproduced' if v['baseline'] else 'not reproduced'} | {changed} |")
    return "\n".join(lines) + "\n"
