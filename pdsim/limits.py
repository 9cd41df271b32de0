"""Resource limits: the size of a Result estimated before anything is allocated, and caps on dose
counts, output grids and pulse trains, so that a mistyped input is refused instead of exhausting memory.

The memory limit defaults to `DEFAULT_MAX_BYTES` and is raised with the environment variable
``PDSIM_MAX_BYTES`` (bytes, or with a suffix: ``PDSIM_MAX_BYTES=16G``). The caps are fixed: each
is far beyond any real protocol, and the message says how to split a run that needs more.
"""
from __future__ import annotations

import math
import os
from typing import Any

from .errors import InputError, PdsimError

__all__ = ["DEFAULT_MAX_BYTES", "ENV_MAX_BYTES", "MAX_DOSES", "MAX_OUTPUT_TIMES", "MAX_PULSES", "MAX_PK_POINTS",
           "MAX_CV", "MIN_INTERVAL_H", "MAX_DURATION_H", "max_bytes", "estimate_result_bytes", "check_result_size", "check_count", "format_bytes"]

#: default ceiling (bytes) on the arrays `pdsim.simulate` returns
DEFAULT_MAX_BYTES = 4 * 2**30
#: environment variable that sets the ceiling
ENV_MAX_BYTES = "PDSIM_MAX_BYTES"
#: most doses one dosing line (or one Regimen) may hold: hourly dosing for over eleven years
MAX_DOSES = 100_000
#: shortest dosing interval (h): one minute; doses closer than that are one dose in any protocol
MIN_INTERVAL_H = 1.0 / 60.0
#: longest scenario (h): 100 years
MAX_DURATION_H = 100 * 365.25 * 24
#: most output times of one scenario: one a minute for almost four years
MAX_OUTPUT_TIMES = 2_000_000
#: most pulses of a Nav train (a 5-Hz train of 100 000 pulses lasts 5.6 h; block converges in tens)
MAX_PULSES = 100_000
#: most time points of a `pdsim pk` curve (10 points per hour: about 23 years)
MAX_PK_POINTS = 2_000_000
#: largest coefficient of variation accepted for a varied parameter (1000 %)
MAX_CV = 10.0

_SUFFIX = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def max_bytes() -> int:
    """The memory ceiling: ``PDSIM_MAX_BYTES`` if set (e.g. ``8589934592`` or ``8G``), else `DEFAULT_MAX_BYTES`."""
    raw = os.environ.get(ENV_MAX_BYTES)
    if raw is None or not raw.strip():
        return DEFAULT_MAX_BYTES
    text = raw.strip().upper().removesuffix("IB").removesuffix("B")
    suffix = text[-1] if text and text[-1] in _SUFFIX else ""
    try:
        value = float(text[:-1] if suffix else text) * _SUFFIX[suffix]
    except ValueError:
        value = float("nan")
    if not (math.isfinite(value) and value > 0):
        raise InputError(f"environment variable {ENV_MAX_BYTES}={raw!r} is not a size; write a number of bytes "
                         f"or one with a suffix, e.g. {ENV_MAX_BYTES}=16G.", key=ENV_MAX_BYTES, value=raw)
    return int(value)


def format_bytes(n: float) -> str:
    """``n`` bytes in the largest binary unit that keeps it >= 1 (e.g. '7.5 GiB')."""
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} B"


def _variables_of_arm(sc: Any, arm: Any) -> int:
    """A lower bound on the result variables an arm makes: concentration layers per compound and the
    target layer of their targets (downstream systems counted as one variable each)."""
    from . import catalog

    custom = sc.custom_drugs
    compounds: list[Any] = []
    for name in arm.drugs:
        dr = custom.get(name) or catalog.drug(name)
        compounds.append(dr)
        if arm.species in dr.pk_specs:
            for met in dr.pk(arm.species).metabolites:
                if met in catalog.drugs() and all(c.name != met for c in compounds):
                    compounds.append(catalog.drug(met))
    n = 0
    pairs: set[tuple[str, str]] = set()
    for dr in compounds:
        n += 2  # plasma and free
        spec = dr.pk_specs.get(arm.species)
        if spec is not None:
            n += sum(1 for k in ("kp_uu", "ke0") if spec.get(k) is not None)
        for t in dr.targets:
            if sc.targets is None or t in sc.targets:
                pairs.add((t, dr.name))
    targets = {t for t, _ in pairs}
    n += 2 * len(targets) + len(pairs)  # occupancy.T and signal.T per target, occupancy.T.drug per pair
    systems = arm.systems if arm.systems is not None else sc.systems
    return n + len(tuple(systems))


def estimate_result_bytes(sc: Any) -> tuple[int, dict[str, int]]:
    """Bytes of the arrays `pdsim.simulate` would return for scenario ``sc`` (a lower bound), and
    the factors: arms x subjects x output times x variables x 8 bytes.

    The variables of all arms share one array per name, so the count is the union over arms;
    it is estimated from the drugs, their targets and the systems (one variable each).
    """
    try:
        per_arm = [_variables_of_arm(sc, arm) for arm in sc.arms]
        variables = max(per_arm) if per_arm else 0
    except (PdsimError, AttributeError, KeyError):  # the engine reports a bad scenario in its own words
        variables = 2 * len({d for arm in sc.arms for d in arm.drugs})
    factors = {"arms": len(sc.arms), "subjects": int(sc.population.size), "times": int(sc.n_times),
               "variables": max(1, variables)}
    total = 8
    for v in factors.values():
        total *= v
    return total, factors


def check_result_size(sc: Any) -> None:
    """Refuse, before any allocation, a scenario whose Result would exceed `max_bytes`.

    Raises
    ------
    InputError
        Naming the estimate and its factors, the limit, and three ways out: `pdsim.simulate_summary`
        (streams subjects, keeps mean/SD/min/max), a smaller population or coarser ``output_every``,
        or a higher ``PDSIM_MAX_BYTES``.
    """
    need, f = estimate_result_bytes(sc)
    limit = max_bytes()
    if need > limit:
        raise InputError(
            f"scenario '{sc.name}': simulate() would hold at least {format_bytes(need)} of results ({f['arms']} arms x "
            f"{f['subjects']} subjects x {f['times']} output times x {f['variables']} variables x 8 bytes), above the "
            f"limit of {format_bytes(limit)}; use pdsim.simulate_summary(scenario), which streams subjects in chunks "
            f"and keeps mean, SD, min and max, or reduce population.size or raise output_every, or raise the limit "
            f"with the environment variable {ENV_MAX_BYTES} (e.g. {ENV_MAX_BYTES}=16G).",
            key="population.size", value=f["subjects"])


def check_count(value: int, cap: int, name: str, why: str, fix: str) -> int:
    """``value`` if it is at most ``cap``, else an InputError giving the cap, its reason and a fix."""
    if value > cap:
        raise InputError(f"`{name}` asks for {value:,} but at most {cap:,} are allowed ({why}); {fix.rstrip('.')}.",
                         key=name, value=value)
    return value
