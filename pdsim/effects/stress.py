"""Stress protocols as input functions of time: daily sessions of a stressor, their on/off edges, a registry.

Every number of a protocol (days, hours per day, intensities) is a Parameter in models/systems/stress.toml.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..catalog import models_dir, system
from ..errors import InputError, ModelFileError, UnknownNameError, suggest
from ..provenance import Parameter
from ..units import as_float

__all__ = ["StressProtocol", "protocol", "protocols", "HOURS_PER_DAY"]

#: hours in a day (a unit conversion, not a model parameter)
HOURS_PER_DAY = 24.0

_FIELDS = ("days", "session_hours", "onset_hour", "level", "background")
_OPTIONAL = ("treatment_start_day",)


@dataclass(frozen=True)
class StressProtocol:
    r"""A stress protocol: one session a day on consecutive days, as an intensity function of time.

    With :math:`\tau = t - t_0` the time since the protocol started, :math:`d = \lfloor \tau/24 \rfloor`
    the protocol day and :math:`h = \tau - 24 d` the clock time within it,

    .. math::

        s(t) = \begin{cases}
            \ell & 0 \le d < D \text{ and } h_0 \le h < h_0 + \Delta \\
            b    & 0 \le d < D \text{ otherwise} \\
            0    & \text{before the start or after day } D
        \end{cases}

    with :math:`D` days, session onset :math:`h_0`, session length :math:`\Delta`, session level
    :math:`\ell` and between-session background :math:`b` (all in models/systems/stress.toml). The
    function is right-continuous: at an edge it takes the value after the edge.

    Parameters
    ----------
    name : str
        Registry name (``"chronic_restraint"``).
    species : str
        The species of the source study.
    days : int
        Number of consecutive days with a session.
    session_hours, onset_hour : float
        Session length and clock time of its start within each day (h).
    level, background : float
        Intensity during a session and between sessions on protocol days (0..1).
    parameters : dict of str to Parameter
        The Parameters the numbers came from, keyed by field name.

    References
    ----------
    .. [luine1994] Luine V et al. Brain Res 1994;639:167–170. doi:10.1016/0006-8993(94)91778-7
    .. [czeh2001] Czéh B et al. PNAS 2001;98:12796–12801. doi:10.1073/pnas.211427898
    .. [pham2003] Pham K, Nacher J, Hof PR, McEwen BS. Eur J Neurosci 2003;17:879–886.
    """

    name: str
    species: str
    days: int
    session_hours: float
    onset_hour: float
    level: float
    background: float
    display_name: str = ""
    description: str = ""
    parameters: dict[str, Parameter] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.days < 1:
            raise InputError(f"stress protocol '{self.name}': days must be at least 1 (got {self.days}).")
        if self.session_hours <= 0 or self.onset_hour < 0 or self.onset_hour + self.session_hours > HOURS_PER_DAY:
            raise InputError(
                f"stress protocol '{self.name}': the session ({self.onset_hour:g} h + {self.session_hours:g} h) must lie "
                f"within one day; set onset_hour >= 0 and onset_hour + session_hours <= 24."
            )
        for what in ("level", "background"):
            v = getattr(self, what)
            if not 0.0 <= v <= 1.0:
                raise InputError(f"stress protocol '{self.name}': {what} must lie in [0, 1] (got {v:g}).")

    # ------------------------------------------------------------------ time course
    @property
    def duration_h(self) -> float:
        """Length of the protocol (h): from its start to the end of its last day."""
        return self.days * HOURS_PER_DAY

    def intensity(self, t_h: Any, start_h: float = 0.0) -> Any:
        """Stress intensity (0..1) at times ``t_h`` (h), the protocol starting at ``start_h`` (h).

        Vectorised: returns a float for a scalar time and an array of the same shape otherwise.
        """
        t = np.asarray(as_float(t_h, "h", "t_h"), dtype=float)
        tau = t - float(start_h)
        day = np.floor(tau / HOURS_PER_DAY)
        clock = tau - day * HOURS_PER_DAY
        inside = (tau >= 0.0) & (day < self.days)
        session = inside & (clock >= self.onset_hour) & (clock < self.onset_hour + self.session_hours)
        out = np.where(session, self.level, np.where(inside, self.background, 0.0))
        return float(out) if out.ndim == 0 else out

    def edges(self, start_h: float = 0.0) -> np.ndarray:
        """Sorted times (h) at which the intensity jumps, so a solver can step onto each discontinuity."""
        cand = [start_h, start_h + self.duration_h]
        for d in range(self.days):
            on = start_h + d * HOURS_PER_DAY + self.onset_hour
            cand += [on, on + self.session_hours]
        cand = np.unique(np.asarray(cand, dtype=float))
        eps = 1e-9 * max(1.0, self.duration_h)
        before = np.asarray(self.intensity(cand - eps, start_h))
        after = np.asarray(self.intensity(cand, start_h))
        return cand[before != after]

    def daily_levels(self) -> list[tuple[float, float]]:
        """(fraction of the day, intensity) pairs of one protocol day: the session and the rest."""
        w = self.session_hours / HOURS_PER_DAY
        return [(w, self.level), (1.0 - w, self.background)]

    def mean_intensity(self) -> float:
        r"""Time-averaged intensity over a protocol day, :math:`\ell\Delta/24 + b(1 - \Delta/24)`."""
        return sum(w * i for w, i in self.daily_levels())

    def parameter(self, key: str) -> Parameter:
        """The Parameter of field ``key`` (e.g. ``"days"``, ``"treatment_start_day"``)."""
        try:
            return self.parameters[key]
        except KeyError:
            raise UnknownNameError(
                f"stress protocol '{self.name}' has no parameter '{key}'.{suggest(key, self.parameters)}"
            ) from None


# ---------------------------------------------------------------------- registry
def _table() -> tuple[dict[str, dict], dict[str, Parameter], str]:
    mf = system("stress")
    protos = mf.raw.get("protocols", {})
    if not isinstance(protos, dict) or not protos:
        raise ModelFileError(f"{mf.path}: no [protocols.<name>] tables; add at least one protocol.")
    return protos, mf.parameters, str(mf.path)


def protocols() -> list[str]:
    """Names of the stress protocols in models/systems/stress.toml."""
    return sorted(_table()[0])


def _aliases(protos: dict[str, dict]) -> dict[str, str]:
    out = {}
    for name, meta in protos.items():
        out[name.lower()] = name
        for a in meta.get("aliases", ()):
            out[str(a).lower()] = name
    return out


#: built protocols by (name, file), with the file's modification time: an engine may look a
#: protocol up inside its input function, so a repeat look-up must not re-read the catalogue
_BUILT: dict[tuple[str, str], tuple[int, StressProtocol]] = {}


def protocol(name: "str | StressProtocol") -> StressProtocol:
    """Look a stress protocol up by name or alias (case-insensitive).

    Repeat look-ups are cheap (cached until models/systems/stress.toml changes).

    Raises
    ------
    UnknownNameError
        For an unknown name, with the closest known name suggested.
    """
    if isinstance(name, StressProtocol):
        return name
    path = models_dir() / "systems" / "stress.toml"
    key = (str(name).strip().lower(), str(path))
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = -1
    hit = _BUILT.get(key)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    built = _build(str(name))
    _BUILT[key] = (stamp, built)
    return built


def _build(name: str) -> StressProtocol:
    protos, params, path = _table()
    al = _aliases(protos)
    key = al.get(str(name).strip().lower())
    if key is None:
        raise UnknownNameError(
            f"Unknown stress protocol '{name}'.{suggest(str(name), list(protos), known=True)}"
        )
    meta = protos[key]
    got: dict[str, Parameter] = {}
    for f in _FIELDS + _OPTIONAL:
        p = params.get(f"{key}_{f}")
        if p is None:
            if f in _OPTIONAL:
                continue
            raise ModelFileError(f"{path}: protocol '{key}' needs parameter '{key}_{f}'; add it under [parameters].")
        got[f] = p
    days = got["days"].to("day")
    if abs(days - round(days)) > 1e-9:
        raise ModelFileError(f"{path}: '{key}_days' must be a whole number of days (got {days:g}).")
    return StressProtocol(
        name=key,
        species=str(meta.get("species", "")),
        days=int(round(days)),
        session_hours=got["session_hours"].to("h"),
        onset_hour=got["onset_hour"].to("h"),
        level=got["level"].to("dimensionless"),
        background=got["background"].to("dimensionless"),
        display_name=str(meta.get("display_name", key)),
        description=str(meta.get("description", "")),
        parameters=got,
    )
