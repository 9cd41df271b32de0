"""Sweeps: dose ladders, parameter grids and global sensitivity (Sobol, Morris) of any summary.

Each evaluation is one `simulate` run reduced to numbers; it runs locally or as a task on Dask.
"""
from __future__ import annotations

import itertools
import math
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pint

from . import catalog
from .errors import MissingExtraError, InputError, PdsimError, UnitError, UnknownNameError, suggest
from .provenance import Parameter
from .result import Result
from .scenario import Scenario, load_scenario
from .simulate import arm_drugs, simulate
from .units import as_float, quantity, to_canonical

__all__ = ["Summary", "override", "dose_ladder", "grid", "sobol", "morris", "executor", "LocalExecutor",
           "DaskExecutor", "MissingExtraError"]

#: a bar appears by itself above this many evaluations (when stderr is a terminal)
AUTO_PROGRESS = 20
_OPS = ("mean", "max", "min", "auc", "final", "at")
_WINDOWED = ("mean", "max", "min", "auc")
_LAYERS = ("plasma", "free", "brain", "occupancy", "signal", "effect")
_SPEC_HELP = ("write OPERATION:VARIABLE with OPERATION one of mean, max, min, auc, final (mean/max/min/auc may "
              "take a window, OPERATION:T1-T2:VARIABLE) or at:TIME:VARIABLE, e.g. 'mean:occupancy.MOR', "
              "'mean:24h-48h:plasma.tianeptine' or 'at:504h:effect.ca3_dendrite_length'")


# --- summaries --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Summary:
    r"""A named summary of one variable of a `Result`: one number per simulation.

    Parsed from ``"OPERATION:VARIABLE"``, ``"OPERATION:T1-T2:VARIABLE"`` or ``"at:TIME:VARIABLE"``:

    ==========  ====================================================================
    ``mean``    time average :math:`\frac{1}{t_1 - t_0}\int_{t_0}^{t_1} y\,dt` (trapezoid)
    ``auc``     :math:`\int_{t_0}^{t_1} y\,dt` (trapezoid; unit of the variable × h)
    ``max``     largest value in the window; ``min`` the smallest
    ``final``   value at the end of the scenario
    ``at``      value at TIME (linear interpolation between output times)
    ==========  ====================================================================

    The window defaults to the whole scenario; its ends are interpolated, so a window need not
    fall on output times. Each subject is summarised, then the subjects are averaged (one
    typical subject: its value).

    Attributes: ``op``, ``variable``, ``start`` and ``end`` (window in h; ``at`` reads at ``start``)
    and ``text``, the spec as written (the column label).
    """

    op: str
    variable: str
    start: float | None = None
    end: float | None = None
    text: str = ""

    @classmethod
    def parse(cls, spec: str) -> "Summary":
        """Read a spec such as ``"mean:occupancy.MOR"``; a malformed one raises `InputError`."""
        if not isinstance(spec, str):
            raise InputError(f"summary {spec!r} must be a string or a callable Result -> float; {_SPEC_HELP}.")
        text = spec.strip()
        parts = [p.strip() for p in text.split(":")]
        op = parts[0].lower()
        if len(parts) not in (2, 3) or not all(parts):
            raise InputError(f"summary {spec!r} does not have the form OPERATION:VARIABLE; {_SPEC_HELP}.")
        if op not in _OPS:
            raise InputError(f"summary {spec!r} has unknown operation '{parts[0]}'; {_SPEC_HELP}.{suggest(op, _OPS)}")
        var = parts[-1]
        if var != "stress" and (var.split(".", 1)[0] not in _LAYERS or "." not in var):
            raise InputError(f"summary {spec!r} names variable '{var}', which is not LAYER.NAME with LAYER one of "
                             f"{', '.join(_LAYERS)} (or 'stress'); {_SPEC_HELP}.")
        if op == "at":
            if len(parts) != 3:
                raise InputError(f"summary {spec!r} needs a time, at:TIME:VARIABLE; {_SPEC_HELP}.")
            t = _time(parts[1], spec)
            return cls(op, var, t, t, text)
        if len(parts) == 2:
            return cls(op, var, None, None, text)
        ends = parts[1].split("-")
        if op not in _WINDOWED or len(ends) != 2:
            why = f"'{op}' takes no window" if op not in _WINDOWED else f"window '{parts[1]}' is not T1-T2"
            raise InputError(f"summary {spec!r}: {why} (only mean, max, min and auc take one, written T1-T2); "
                             f"{_SPEC_HELP}.")
        t0, t1 = _time(ends[0], spec), _time(ends[1], spec)
        if not t1 > t0:
            raise InputError(f"summary {spec!r} has a window that ends ({t1:g} h) before it starts ({t0:g} h); "
                             f"write the earlier time first, e.g. 'mean:24h-48h:{var}'.")
        return cls(op, var, t0, t1, text)

    def __call__(self, result: Result, arm: str | int | None = None) -> float:
        """The summary of ``result`` (the arm named, or its only arm), averaged over subjects."""
        y = np.asarray(result.get(self.variable, arm), dtype=float)
        t = np.asarray(result.time_h, dtype=float)
        if (self.end or 0.0) > t[-1] + 1e-9:
            raise InputError(f"summary '{self.text}' reads {self.end:g} h but the scenario ends at {t[-1]:g} h; "
                             f"lengthen `duration` or choose an earlier time.")
        if self.op in ("final", "at"):
            return float(np.mean(y[:, -1] if self.op == "final" else _interp(t, y, self.start)))
        t0 = t[0] if self.start is None else self.start
        t1 = t[-1] if self.end is None else self.end
        tt, yy = _window(t, y, t0, t1)
        area = np.sum(0.5 * (yy[:, 1:] + yy[:, :-1]) * np.diff(tt), axis=1)
        vals = {"max": yy.max(axis=1), "min": yy.min(axis=1), "auc": area, "mean": area / (t1 - t0)}[self.op]
        return float(np.mean(vals))


def _time(text: str, spec: str) -> float:
    try:
        return float(as_float(text, "h", "summary time", nonnegative=True))
    except (UnitError, InputError):
        raise InputError(f"summary {spec!r} has time '{text}', which is not a time >= 0 with a unit; "
                         f"{_SPEC_HELP}.") from None


def _interp(t: np.ndarray, y: np.ndarray, x: float) -> np.ndarray:
    """y (subjects × times) linearly interpolated at time x, per subject."""
    if len(t) == 1:
        return y[:, 0]
    i = int(np.clip(np.searchsorted(t, x, side="right") - 1, 0, len(t) - 2))
    w = (x - t[i]) / (t[i + 1] - t[i])
    return y[:, i] * (1.0 - w) + y[:, i + 1] * w


def _window(t: np.ndarray, y: np.ndarray, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]:
    """Times and values in [t0, t1], the two ends interpolated (exact when they fall on output times)."""
    inside = (t > t0) & (t < t1)
    cols = [_interp(t, y, t0)[:, None], y[:, inside], _interp(t, y, t1)[:, None]]
    return np.concatenate([[t0], t[inside], [t1]]), np.concatenate(cols, axis=1)


def _summaries(summary: Any) -> tuple[tuple[str, Any], ...]:
    """(label, Summary or callable) pairs from one spec or callable, a list of them, or a dict label → spec."""
    if isinstance(summary, Mapping):
        items = [(str(k), v) for k, v in summary.items()]
    elif isinstance(summary, (str, Summary)) or callable(summary):
        items = [(None, summary)]
    elif isinstance(summary, Iterable):
        items = [(None, s) for s in summary]
    else:
        raise InputError(f"`summary` must be a spec, a callable Result -> float, or a list or dict of them "
                         f"(got {summary!r}); {_SPEC_HELP}.")
    out: list[tuple[str, Any]] = []
    for i, (label, s) in enumerate(items):
        s = s if isinstance(s, Summary) or callable(s) else Summary.parse(s)  # parse rejects what is not a string
        name = getattr(s, "__name__", "<lambda>")
        out.append((label or (s.text if isinstance(s, Summary) else name if name != "<lambda>" else f"summary_{i}"), s))
    labels = [lb for lb, _ in out]
    if not out or len(set(labels)) != len(labels):
        raise InputError(f"`summary` needs at least one entry, each with its own label (got {labels}); pass a dict "
                         f"{{label: summary}} to name them.")
    return tuple(out)


def _value(label: str, s: Any, result: Result, arm: int | None) -> float:
    v = s(result, arm) if isinstance(s, Summary) else s(result)
    if np.ndim(v) != 0:
        raise InputError(f"summary '{label}' must return one number (got shape {np.shape(v)}); reduce it, "
                         f"e.g. with float(np.mean(...)).")
    if isinstance(v, pint.Quantity):
        v = v.magnitude
    try:
        return float(v)
    except (TypeError, ValueError):
        raise InputError(f"summary '{label}' must return a number (got {type(v).__name__}); return a float.") from None


# --- parameter overrides ----------------------------------------------------------------------

@dataclass(frozen=True)
class _Knob:
    """One sweepable parameter: a PK value of a drug (per species in use) or a value of a target binding."""

    name: str
    drug: str
    key: str
    target: str = ""
    species: tuple[str, ...] = ()


def _scenario(scenario: Any) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, (str, Path)):
        return load_scenario(scenario)
    raise InputError(f"a sweep takes a Scenario, a scenario file or a scenario name (got {type(scenario).__name__}).")


def _get_drug(sc: Scenario, name: str, done: Mapping[str, Any] | None = None):
    return (done or {}).get(name) or sc.custom_drugs.get(name) or catalog.drug(name)


def _compounds(sc: Scenario) -> dict[str, set[str]]:
    """Every compound in the scenario (dosed or formed) → the species of the arms it is in."""
    out: dict[str, set[str]] = {}
    for arm in sc.arms:
        for name, _ in arm_drugs(arm, sc.custom_drugs):
            out.setdefault(name, set()).add(arm.species)
    return out


def _knob_names(sc: Scenario, compounds: Mapping[str, set[str]]) -> list[str]:
    names = []
    for d, species in compounds.items():
        dr = _get_drug(sc, d)
        names += sorted({f"{d}.{k}" for sp in species if sp in dr.pk_specs for k in dr.pk(sp).params})
        for t, b in dr.targets.items():
            names += [f"{d}.{t}.affinity"] + [f"{d}.{t}.{k}" for k in b.params]
    return names


def _knob(sc: Scenario, name: str, compounds: Mapping[str, set[str]]) -> _Knob:
    parts = str(name).split(".")
    if len(parts) not in (2, 3) or not all(parts):
        raise InputError(f"sweep parameter {name!r} must be DRUG.PARAM or DRUG.TARGET.PARAM; write e.g. "
                         f"'tianeptine.CL' or 'tianeptine.MOR.affinity'.")
    drug = _canonical(parts[0], compounds)
    if drug not in compounds:
        raise UnknownNameError(f"sweep parameter '{name}' names drug '{parts[0]}', which no arm of scenario "
                               f"'{sc.name}' doses or forms.{suggest(parts[0], compounds)}")
    dr = _get_drug(sc, drug)
    known = _knob_names(sc, compounds)
    canon = ".".join([drug] + parts[1:])
    if canon not in known:
        raise UnknownNameError(f"Unknown sweep parameter '{name}' for scenario '{sc.name}'.{suggest(canon, known)}")
    if len(parts) == 3:
        return _Knob(canon, drug, parts[2], target=parts[1])
    species = tuple(sorted(sp for sp in compounds[drug] if sp in dr.pk_specs and parts[1] in dr.pk(sp).params))
    return _Knob(canon, drug, parts[1], species=species)


def _canonical(name: str, present: Iterable[str]) -> str:
    """``name`` as the scenario spells it: itself, or the catalogue name of an alias ("Stablon" → tianeptine)."""
    if name in present:
        return name
    try:
        return catalog.drug(name).name
    except UnknownNameError:
        return name


#: parameters that are fractions (at most 1), with what they are a fraction of
_FRACTIONS = {"F": "oral bioavailability", "F_ip": "ip/sc bioavailability", "fu": "unbound fraction in plasma"}


def _overridden(old: Parameter, value: Any, knob: _Knob) -> Parameter:
    """A new Parameter with ``value`` (a float in ``old``'s unit, or a quantity); sources kept, note says why."""
    unit = old.unit if old.unit not in ("", "1") else "dimensionless"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (str, int, float, np.number, pint.Quantity)):
        raise InputError(f"sweep value of '{knob.name}' must be one finite number > 0 or a quantity string (got {value!r}); "
                         f"give it in {old.unit or '1'}, e.g. '15 L/h'.")
    v = to_canonical(value, unit, knob.name)
    if np.ndim(v) != 0 or not math.isfinite(float(v)) or float(v) < 0 or (float(v) == 0 and knob.key != "tlag"):
        raise InputError(f"sweep value of '{knob.name}' must be one finite number > 0 (got {value!r}); "
                         f"give it in {old.unit or '1'} or as a quantity string.")
    if knob.key in _FRACTIONS and float(v) > 1:
        raise InputError(f"sweep value of '{knob.name}' is a fraction of the dose or of the drug ({_FRACTIONS[knob.key]}), "
                         f"so it must lie in (0, 1] (got {value!r}); give e.g. 0.5.")
    note = f"Overridden by sweep (catalogue value {old.value:g} {old.unit}, {old.kind})."
    return Parameter(value=float(v), unit=old.unit, sources=old.sources, kind="assumed", note=note, name=old.name)


def _apply(dr, knob: _Knob, value: Any):
    """A copy of the Drug with one parameter overridden; the catalogue's Drug is never touched."""
    if knob.target:
        b = dr.targets[knob.target]
        if knob.key == "affinity":
            nb = replace(b, affinity=_overridden(b.affinity, value, knob))
        else:
            nb = replace(b, params={**b.params, knob.key: _overridden(b.params[knob.key], value, knob)})
        return replace(dr, targets={**dr.targets, knob.target: nb})
    units = {dr.pk(sp).params[knob.key].unit for sp in knob.species}
    if len(units) > 1 and not isinstance(value, (str, pint.Quantity)):
        raise InputError(f"'{knob.name}' is in {' and '.join(sorted(units))} for the species of this scenario, so a "
                         f"plain number is ambiguous; give a quantity such as '15 L/h'.")
    specs = dict(dr.pk_specs)
    for sp in knob.species:
        spec = specs[sp]
        specs[sp] = replace(spec, params={**spec.params, knob.key: _overridden(spec.params[knob.key], value, knob)})
    return replace(dr, pk_specs=specs)


def _resolve(sc: Scenario, names: Iterable[str]) -> list[_Knob]:
    compounds = _compounds(sc)
    knobs = [_knob(sc, n, compounds) for n in names]
    seen = [k.name for k in knobs]
    if not knobs or len(set(seen)) != len(seen):
        raise InputError(f"a sweep needs at least one parameter, each named once (got {seen}); give e.g. "
                         f"{{'tianeptine.CL': [10, 15, 20]}}.")
    return knobs


def _with_values(sc: Scenario, knobs: Sequence[_Knob], values: Sequence[Any]) -> Scenario:
    drugs: dict[str, Any] = {}
    for knob, v in zip(knobs, values):
        drugs[knob.drug] = _apply(_get_drug(sc, knob.drug, drugs), knob, v)
    # custom drugs shadow catalogue drugs while the scenario runs (simulate honours custom_drugs)
    return replace(sc, custom_drugs={**sc.custom_drugs, **drugs})


def override(scenario: Scenario | str | Path, params: Mapping[str, Any]) -> Scenario:
    """A copy of ``scenario`` in which drug parameters take the values given.

    Parameters
    ----------
    scenario : Scenario, path or scenario name
    params : dict
        ``"drug.PARAM"`` (PK: CL, V, ka, F, fu, Q, V2, tlag, ke0, kp_uu, F_ip — those the drug has)
        or ``"drug.TARGET.PARAM"`` (``affinity``, or a binding value such as ``tau``) → value, a
        float in the catalogue parameter's unit or a quantity string (``"15 L/h"``).

    Returns
    -------
    Scenario
        The overridden drugs travel in ``custom_drugs``; each new Parameter keeps the catalogue's
        sources, has kind ``assumed`` and a note giving the catalogue value.
    """
    sc = _scenario(scenario)
    knobs = _resolve(sc, params)
    return _with_values(sc, knobs, list(params.values()))


# --- execution --------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Task:
    """One evaluation: simulate ``scenario``, reduce it with ``summaries`` (arm index for named specs)."""

    index: int
    scenario: Scenario
    summaries: tuple[tuple[str, Any], ...]
    arm: int | None
    where: str


def _evaluate(task: _Task) -> tuple[float, ...]:
    """Run one task (locally or on a Dask worker); errors name the sweep point."""
    try:
        res = simulate(task.scenario)  # the drug overlay is per context, so threads are safe
        return tuple(_value(lb, s, res, task.arm) for lb, s in task.summaries)
    except PdsimError as exc:
        raise type(exc)(f"sweep point {task.index} ({task.where}): {exc}") from None


#: what stands in for a tqdm bar when there is none
_NO_BAR = SimpleNamespace(update=lambda n=1: None, close=lambda: None)


def _bar(total: int, progress: bool | None, desc: str):
    """A tqdm bar, or a silent stand-in (not asked for, not a terminal, or tqdm absent)."""
    if progress is None:
        progress = total > AUTO_PROGRESS and hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
    try:
        from tqdm.auto import tqdm
    except ImportError:  # the `progress` extra is optional: no bar, no error
        return _NO_BAR
    return tqdm(total=total, desc=desc, unit="run") if progress else _NO_BAR


class LocalExecutor:
    """Runs evaluations one after another in this process (the default)."""

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any], progress: bool | None = None,
            desc: str = "sweep") -> list[Any]:
        """``[fn(x) for x in items]``, in order, with an optional progress bar."""
        bar, out = _bar(len(items), progress, desc), []
        try:
            for x in items:
                out.append(fn(x))
                bar.update(1)
        finally:
            bar.close()
        return out

    def close(self) -> None:
        """Nothing to release (an executor's interface)."""


class DaskExecutor:
    """Runs each evaluation as a task on a Dask cluster; results come back in submission order.

    ``client`` is a dask.distributed.Client, or a scheduler address (``"tcp://host:8786"``) to
    which the executor connects and which `close` disconnects. Workers must import pdsim and see
    the same models/. Each evaluation's drug overrides travel in its own scenario's
    ``custom_drugs`` (no global state), so threaded and process workers both work.
    """

    def __init__(self, client: Any):
        try:
            import distributed
        except ImportError:
            raise MissingExtraError('running a sweep on Dask needs dask.distributed, which is not installed; install '
                                    'it with pip install "pdsim[dask]".') from None
        self._own = isinstance(client, str)
        if self._own:
            try:
                client = distributed.Client(client, set_as_default=False)
            except (OSError, TimeoutError) as exc:
                raise InputError(f"could not connect to the Dask scheduler at {client!r} ({exc}); check the address "
                                 f"and that the scheduler is running.") from None
        elif not isinstance(client, distributed.Client):
            raise InputError(f"`client` must be a dask.distributed.Client or a scheduler address string (got "
                             f"{type(client).__name__}); e.g. client='tcp://127.0.0.1:8786'.")
        self.client = client

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any], progress: bool | None = None,
            desc: str = "sweep") -> list[Any]:
        """Submit ``fn(x)`` for every item as its own task; gather the results in item order.

        On failure the error raised is that of the first failing item, whatever the finishing order."""
        from distributed import as_completed, wait

        futures = [self.client.submit(fn, x, pure=False) for x in items]
        where = {f.key: i for i, f in enumerate(futures)}
        bar = _bar(len(items), progress, desc)
        try:
            for f in as_completed(futures):
                if f.status == "error":  # wait for the items before it, then raise the earliest error
                    wait(futures[:where[f.key]])
                    next(g for g in futures if g.status == "error").result()
                bar.update(1)
            return self.client.gather(futures)
        except BaseException:
            self.client.cancel(futures)
            raise
        finally:
            bar.close()

    def close(self) -> None:
        if self._own:
            self.client.close()


def executor(client: Any = None) -> LocalExecutor | DaskExecutor:
    """The executor for ``client``: None → local serial; a Dask Client or address → Dask; an executor as is."""
    if client is None:
        return LocalExecutor()
    if isinstance(client, (LocalExecutor, DaskExecutor)):
        return client
    return DaskExecutor(client)


def _run(tasks: list[_Task], client: Any, progress: bool | None, desc: str) -> np.ndarray:
    """Evaluate every task; an array (n_tasks, n_summaries) in task order."""
    ex = executor(client)
    try:
        rows = ex.map(_evaluate, tasks, progress=progress, desc=desc)
    finally:
        if ex is not client:
            ex.close()
    return np.asarray(rows, dtype=float).reshape(len(tasks), len(tasks[0].summaries) if tasks else 0)


def _arm_index(sc: Scenario, arm: str | int | None, needed: bool) -> int | None:
    labels = [a.label for a in sc.arms]
    if arm is None:
        if needed and len(labels) > 1:
            raise InputError(f"scenario '{sc.name}' has {len(labels)} arms ({', '.join(labels)}); name the one the "
                             f"summaries read with arm=, e.g. arm={labels[0]!r}.")
        return None
    if isinstance(arm, int) and not isinstance(arm, bool):
        if not 0 <= arm < len(labels):
            raise InputError(f"arm index {arm} is out of range for scenario '{sc.name}' ({len(labels)} arms); "
                             f"give 0 to {len(labels) - 1} or a label.")
        return arm
    if arm not in labels:
        raise UnknownNameError(f"Unknown arm '{arm}' in scenario '{sc.name}'.{suggest(str(arm), labels)}")
    return labels.index(arm)


def _prepare(scenario: Any, summary: Any, arm: str | int | None) -> tuple[Scenario, tuple, int | None]:
    """The scenario (reduced to the named arm), parsed summaries and the arm index they read."""
    sc = _scenario(scenario)
    sums = _summaries(summary)
    named = any(isinstance(s, Summary) for _, s in sums)
    idx = _arm_index(sc, arm, named)
    if idx is not None:
        sc = replace(sc, arms=(sc.arms[idx],))  # only the arm read is simulated
    for label, s in sums:
        if isinstance(s, Summary) and (s.end or 0.0) > sc.duration + 1e-9:
            raise InputError(f"summary '{label}' reads {s.end:g} h but scenario '{sc.name}' ends at "
                             f"{sc.duration:g} h; lengthen `duration` or choose an earlier time.")
    return sc, sums, (0 if named else None)


# --- sweeps -----------------------------------------------------------------------------------

def dose_ladder(scenario: Scenario | str | Path, arm: str | int | None, drug: str, doses: Sequence[Any],
                summary: Any, *, client: Any = None, progress: bool | None = None) -> pd.DataFrame:
    r"""Run one arm at each dose of a ladder and summarise every run.

    Every dosing line of ``drug`` in the arm takes the new amount; its schedule (interval, count,
    route, start, infusion duration) is kept. Only that arm is simulated.

    Parameters
    ----------
    scenario : Scenario, path or scenario name
    arm : str or int or None
        Arm label or index (None when the scenario has one arm).
    drug : str
        A drug dosed in that arm.
    doses : sequence
        Amounts, e.g. ``["5 mg", "12.5 mg", "50 mg"]`` (``"10 mg/kg"`` per body weight); plain
        numbers are mg.
    summary : str, callable, list or dict
        A spec (see `Summary`: ``"mean:occupancy.MOR"``, ``"max:plasma.tianeptine"``,
        ``"final:effect.bdnf_hippocampus"``, ``"at:504h:effect.ca3_dendrite_length"``), a callable
        ``Result -> float``, or a list or dict ``{label: summary}`` of them.
    client : None, dask.distributed.Client or str, optional
        Where to run: locally (None), or on Dask (a client or a scheduler address; see `DaskExecutor`).
    progress : bool or None, optional
        A progress bar (needs tqdm); None shows one for more than 20 runs on a terminal.

    Returns
    -------
    pandas.DataFrame
        One row per dose: ``dose`` (as given), ``amount``, ``unit`` (mg or mg/kg), then one column
        per summary.

    Notes
    -----
    With linear PK, concentrations scale exactly with dose (superposition), so an exposure
    summary such as ``mean:plasma.<drug>`` is proportional to the dose; occupancy and downstream
    effects are not.
    """
    sc, sums, arm_idx = _prepare(scenario, summary, arm)
    if len(sc.arms) > 1:  # callables only and several arms: the ladder still needs one arm
        sc = replace(sc, arms=(sc.arms[_arm_index(sc, arm, True)],))
    the_arm = sc.arms[0]
    name = _canonical(drug, the_arm.drugs)
    if name not in the_arm.drugs:
        raise UnknownNameError(f"arm '{the_arm.label}' does not dose '{drug}', so it has no dose to step."
                               f"{suggest(str(drug), the_arm.drugs)}")
    if isinstance(doses, (str, pint.Quantity)) or not isinstance(doses, Iterable):
        raise InputError(f"`doses` must be a list of amounts (got {doses!r}); write e.g. ['5 mg', '12.5 mg'].")
    tasks, rows = [], []
    for i, d in enumerate(doses):
        amount, per_kg = _amount(d)
        spec = tuple(replace(x, amount=amount, per_kg=per_kg) if x.drug == name else x for x in the_arm.doses)
        run = replace(sc, arms=(replace(the_arm, doses=spec),))
        label = str(d) if isinstance(d, str) else (f"{d:~P}" if isinstance(d, pint.Quantity) else f"{amount:g} mg")
        rows.append({"dose": label, "amount": amount, "unit": "mg/kg" if per_kg else "mg"})
        tasks.append(_Task(i, run, sums, arm_idx, f"{name} {label}"))
    if not tasks:
        raise InputError("`doses` is empty; give at least one amount, e.g. ['5 mg', '12.5 mg'].")
    return _table(rows, _run(tasks, client, progress, f"dose ladder: {name}"), sums)


def _table(rows: list[dict[str, Any]], values: np.ndarray, sums: tuple) -> pd.DataFrame:
    out = pd.DataFrame(rows)
    for j, (label, _) in enumerate(sums):
        out[label] = values[:, j]
    return out


def _amount(d: Any) -> tuple[float, bool]:
    """(amount, per_kg) of a ladder step: a mass (mg), a mass per body weight (mg/kg) or a number (mg)."""
    if isinstance(d, bool) or not isinstance(d, (str, pint.Quantity, int, float)):
        raise InputError(f"ladder dose {d!r} must be an amount; write e.g. '12.5 mg' or '10 mg/kg'.")
    q = quantity(f"{d} mg") if isinstance(d, (int, float)) else quantity(d, "dose")
    per_kg = q.dimensionless and str(q.units) not in ("dimensionless", "")
    if not (per_kg or q.check("[mass]")):
        raise UnitError(f"ladder dose {d!r} must be a mass or a mass per body weight; write e.g. '12.5 mg' or '10 mg/kg'.")
    amount = float(q.to("mg/kg" if per_kg else "mg").magnitude)
    if not (math.isfinite(amount) and amount > 0):
        raise InputError(f"ladder dose {d!r} must be greater than zero; remove it or give a positive amount.")
    return amount, per_kg


def grid(scenario: Scenario | str | Path, params: Mapping[str, Sequence[Any]], summary: Any, *,
         arm: str | int | None = None, client: Any = None, progress: bool | None = None) -> pd.DataFrame:
    """Run the scenario at every combination of parameter values (a full factorial grid).

    Parameters
    ----------
    scenario : Scenario, path or scenario name
    params : dict
        Parameter name → values, e.g. ``{"tianeptine.CL": [10, 15, 20], "tianeptine.MOR.affinity":
        [200, 400]}``; names as in `override` (PK values of a drug, target affinities and binding
        values), values in the catalogue unit or as quantity strings.
    summary : str, callable, list or dict
        As for `dose_ladder`.
    arm : str or int, optional
        The arm that named summaries read (required when the scenario has several); only it is run.
    client, progress
        As for `dose_ladder`.

    Returns
    -------
    pandas.DataFrame
        One row per combination (the last parameter varies fastest): one column per parameter
        with its value, then one per summary.
    """
    sc, sums, arm_idx = _prepare(scenario, summary, arm)
    if not isinstance(params, Mapping):
        raise InputError(f"`params` must be a dict name -> values (got {type(params).__name__}); "
                         f"e.g. {{'tianeptine.CL': [10, 15, 20]}}.")
    knobs = _resolve(sc, params)
    for k, vals in zip(knobs, params.values()):
        if isinstance(vals, (str, pint.Quantity)) or not isinstance(vals, Iterable) or not list(vals):
            raise InputError(f"values of '{k.name}' must be a non-empty list (got {vals!r}); write e.g. [10, 15, 20].")
    combos = list(itertools.product(*[list(v) for v in params.values()]))
    rows = [{k.name: v for k, v in zip(knobs, c)} for c in combos]
    tasks = [_Task(i, _with_values(sc, knobs, c), sums, arm_idx, ", ".join(f"{k}={v}" for k, v in r.items()))
             for i, (c, r) in enumerate(zip(combos, rows))]
    return _table(rows, _run(tasks, client, progress, "grid"), sums)


# --- global sensitivity -----------------------------------------------------------------------

def _salib():
    try:
        from SALib.analyze import morris as analyze_morris
        from SALib.analyze import sobol as analyze_sobol
        from SALib.sample import morris as sample_morris
        from SALib.sample import sobol as sample_sobol
    except ImportError:
        raise MissingExtraError('sensitivity analysis needs SALib, which is not installed; install it with '
                                'pip install "pdsim[sensitivity]".') from None
    return sample_sobol, analyze_sobol, sample_morris, analyze_morris


def _problem(sc: Scenario, bounds: Mapping[str, Sequence[float]]) -> tuple[list[_Knob], dict[str, Any]]:
    if not isinstance(bounds, Mapping) or not bounds:
        raise InputError(f"`bounds` must be a non-empty dict name -> (low, high) (got {bounds!r}); "
                         f"e.g. {{'tianeptine.CL': (8, 20)}}.")
    knobs = _resolve(sc, bounds)
    rows = []
    for k, b in zip(knobs, bounds.values()):
        try:
            lo, hi = (float(x) for x in b)
        except (TypeError, ValueError):
            raise InputError(f"bounds of '{k.name}' must be two numbers (low, high) in the catalogue unit "
                             f"(got {b!r}); write e.g. (8, 20).") from None
        if not (math.isfinite(lo) and math.isfinite(hi) and 0 <= lo < hi):
            raise InputError(f"bounds of '{k.name}' must satisfy 0 <= low < high (got {b!r}); write e.g. (8, 20).")
        rows.append([lo, hi])
    return knobs, {"num_vars": len(knobs), "names": [k.name for k in knobs], "bounds": rows}


def _sensitivity(method: str, scenario: Any, bounds: Mapping[str, Sequence[float]], summary: Any, arm: Any,
                 seed: Any, client: Any, progress: bool | None, sample: Callable, analyse: Callable) -> pd.DataFrame:
    """The shared driver: sample the bounds, run every sample, analyse each summary, one frame of indices."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"`seed` must be a whole number >= 0 (got {seed!r}); the same seed gives the same indices.")
    sc, sums, arm_idx = _prepare(scenario, summary, arm)
    knobs, problem = _problem(sc, bounds)
    X = sample(problem)
    tasks = [_Task(i, _with_values(sc, knobs, [float(v) for v in x]), sums, arm_idx,
                   ", ".join(f"{k.name}={v:.6g}" for k, v in zip(knobs, x))) for i, x in enumerate(X)]
    Y = _run(tasks, client, progress, method)
    samples = pd.DataFrame(X, columns=problem["names"])
    frames = []
    for j, (label, _) in enumerate(sums):
        y = samples[label] = Y[:, j]
        bad = int((~np.isfinite(y)).sum())
        if bad:
            raise InputError(f"summary '{label}' was not finite in {bad} of {len(y)} runs, so {method} indices cannot "
                             f"be computed; narrow the bounds or make the summary finite.")
        cols = {k: np.asarray(v, dtype=float) for k, v in analyse(problem, X, y, label).items()}
        frames.append(pd.DataFrame({"summary": label, **cols}, index=pd.Index(problem["names"], name="parameter")))
    out = pd.concat(frames)
    out.attrs["samples"] = samples
    return out


def sobol(scenario: Scenario | str | Path, bounds: Mapping[str, Sequence[float]], summary: Any, *, n: int = 256,
          seed: int = 0, arm: str | int | None = None, resamples: int = 100, conf_level: float = 0.95,
          client: Any = None, progress: bool | None = None) -> pd.DataFrame:
    r"""Sobol' variance-based sensitivity indices of each summary to parameters varied uniformly in bounds.

    The first-order index is the share of the output variance explained by one parameter alone,
    the total index the share it takes part in, interactions included:

    .. math:: S_i = \frac{V_{X_i}\!\left(E_{X_{\sim i}}[Y \mid X_i]\right)}{V(Y)}, \qquad
              S_{Ti} = \frac{E_{X_{\sim i}}\!\left(V_{X_i}[Y \mid X_{\sim i}]\right)}{V(Y)}

    estimated by Saltelli's scheme on a scrambled Sobol' sequence (``n (D + 2)`` runs for D
    parameters), with bootstrap confidence intervals, by SALib.

    Parameters
    ----------
    scenario : Scenario, path or scenario name
    bounds : dict
        Parameter name → (low, high) in the catalogue unit, e.g. ``{"tianeptine.CL": (8, 20)}``.
    summary : str, callable, list or dict
        As for `dose_ladder`.
    n : int
        Base sample size, a power of two (the Sobol' sequence is balanced only then).
    seed : int
        Seeds the scrambling and the bootstrap: the same seed gives the same indices.
    arm, client, progress
        As for `grid`.
    resamples, conf_level : int, float
        Bootstrap resamples and confidence level of the ``_conf`` intervals.

    Returns
    -------
    pandas.DataFrame
        Indexed by parameter: ``summary``, ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (one block of
        rows per summary); ``.attrs["samples"]`` holds the parameters and summaries of every run.

    References
    ----------
    .. [1] Sobol' IM (2001). Global sensitivity indices for nonlinear mathematical models and their
       Monte Carlo estimates. Math Comput Simul 55:271–280. doi:10.1016/S0378-4754(00)00270-6
    .. [2] Saltelli A, Annoni P, Azzini I, Campolongo F, Ratto M, Tarantola S (2010). Variance based
       sensitivity analysis of model output. Comput Phys Commun 181:259–270. doi:10.1016/j.cpc.2009.09.018
    .. [3] Herman J, Usher W (2017). SALib: an open-source Python library for sensitivity analysis.
       J Open Source Softw 2(9):97. doi:10.21105/joss.00097
    """
    sample_sobol, analyze_sobol, _, _ = _salib()
    if isinstance(n, bool) or not isinstance(n, int) or n < 2 or n & (n - 1):
        raise InputError(f"`n` must be a power of two >= 2 (got {n!r}) to keep the Sobol' sequence balanced; "
                         f"use e.g. n=64 or n=256.")

    def analyse(problem, X, y, label):
        if np.ptp(y) == 0:
            raise InputError(f"summary '{label}' took the same value in all {len(y)} runs, so its Sobol' indices are "
                             f"undefined; widen the bounds or choose a summary that depends on these parameters.")
        # a Generator, not the int: SALib's Sobol analysis ignores seed=0 (`if seed:`) and would draw unseeded
        si = analyze_sobol.analyze(problem, y, calc_second_order=False, num_resamples=resamples,
                                   conf_level=conf_level, seed=np.random.default_rng(seed))
        return {k: si[k] for k in ("S1", "S1_conf", "ST", "ST_conf")}

    return _sensitivity("Sobol", scenario, bounds, summary, arm, seed, client, progress,
                        lambda problem: sample_sobol.sample(problem, n, calc_second_order=False, seed=seed), analyse)


def morris(scenario: Scenario | str | Path, bounds: Mapping[str, Sequence[float]], summary: Any, *, n: int = 10,
           levels: int = 4, seed: int = 0, arm: str | int | None = None, resamples: int = 100,
           conf_level: float = 0.95, client: Any = None, progress: bool | None = None) -> pd.DataFrame:
    r"""Morris elementary-effects screening of each summary over parameters varied in bounds.

    Along ``n`` random one-at-a-time trajectories on a ``levels``-level grid of the unit
    hypercube, each step changes one parameter by :math:`\Delta` and records

    .. math:: EE_i = \frac{Y(x + \Delta e_i) - Y(x)}{\Delta};

    :math:`\mu^*`, the mean of :math:`|EE_i|`, ranks influence, and :math:`\sigma`, their spread,
    flags non-linearity or interactions. ``n (D + 1)`` runs for D parameters.

    Parameters
    ----------
    scenario, bounds, summary, seed, arm, resamples, conf_level, client, progress
        As for `sobol`.
    n : int
        Number of trajectories (>= 2).
    levels : int
        Grid levels per parameter (an even number >= 2; 4 is usual).

    Returns
    -------
    pandas.DataFrame
        Indexed by parameter: ``summary``, ``mu``, ``mu_star``, ``mu_star_conf``, ``sigma``
        (effects per unit of the range scaled to [0, 1]); ``.attrs["samples"]`` holds every run.

    References
    ----------
    .. [1] Morris MD (1991). Factorial sampling plans for preliminary computational experiments.
       Technometrics 33:161–174. doi:10.1080/00401706.1991.10484804
    .. [2] Campolongo F, Cariboni J, Saltelli A (2007). An effective screening design for sensitivity
       analysis of large models. Environ Model Softw 22:1509–1518. doi:10.1016/j.envsoft.2006.10.004
    .. [3] Herman J, Usher W (2017). SALib: an open-source Python library for sensitivity analysis.
       J Open Source Softw 2(9):97. doi:10.21105/joss.00097
    """
    _, _, sample_morris, analyze_morris = _salib()
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise InputError(f"`n` (trajectories) must be a whole number >= 2 (got {n!r}); use e.g. n=10.")
    if isinstance(levels, bool) or not isinstance(levels, int) or levels < 2 or levels % 2:
        raise InputError(f"`levels` must be an even whole number >= 2 (got {levels!r}); use e.g. levels=4.")

    def analyse(problem, X, y, label):
        si = analyze_morris.analyze(problem, X, y, num_resamples=resamples, conf_level=conf_level,
                                    num_levels=levels, seed=seed)
        return {k: si[k] for k in ("mu", "mu_star", "mu_star_conf", "sigma")}

    return _sensitivity("Morris", scenario, bounds, summary, arm, seed, client, progress,
                        lambda problem: sample_morris.sample(problem, n, num_levels=levels, seed=seed), analyse)
