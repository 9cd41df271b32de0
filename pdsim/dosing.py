"""Dosing: a `Dose` is one administration; a `Regimen` is an immutable, time-sorted set of them.

Quantities or strings with units are read at this boundary ("12.5 mg", "8 h", "0.5 mg/kg");
plain numbers are mg, h and mg/h. Every dose leaves here as plain floats.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np
import pint

from . import events as _events
from .errors import InputError, UnitError, did_you_mean
from .limits import MAX_DOSES, MIN_INTERVAL_H
from .units import Q_, as_float, quantity

__all__ = ["ROUTES", "Dose", "Regimen"]

#: administration routes (`pdsim.events.ROUTES`, where dose records are read): oral (ka, F, lag), iv bolus
#: and infusion (into the central compartment), intraperitoneal and subcutaneous (ka and F_ip, no lag)
ROUTES = _events.ROUTES


def _is_number(value: Any) -> bool:
    return isinstance(value, (Real, np.number)) and not isinstance(value, (bool, np.bool_))


def check_body_weight(body_weight: Any) -> float:
    return as_float(body_weight, "kg", "body_weight", positive=True)


def is_per_kg(q: pint.Quantity, dim: str) -> bool:
    """True for a quantity such as 0.5 mg/kg or 1 mg/kg/h: ``dim`` per unit of body mass."""
    per_mass = any(e < 0 and Q_(1, u).check("[mass]") for u, e in q.unit_items())
    return per_mass and (q * Q_(1, "kg")).check(dim)


def _read(value: Any, name: str, unit: str, dim: str, what: str, example: str, body_weight: Any) -> tuple[float, str]:
    """``value`` in ``unit``: a quantity of dimension ``dim``, the same per body mass (times
    ``body_weight``), or a plain number already in ``unit``; with the text to show in messages."""
    if _is_number(value):
        return float(value), f"{value} {unit}"
    if not isinstance(value, (str, pint.Quantity)) or np.ndim(getattr(value, "magnitude", 0)) != 0:
        raise InputError(f"`{name}` must be one amount, e.g. {example} or a number (got {value!r}).", key=name,
                         value=value)
    q = quantity(value, name)
    shown = value.strip() if isinstance(value, str) else f"{q:~P}"
    if q.check(dim):
        return float(q.to(unit).magnitude), shown
    if is_per_kg(q, dim):
        if body_weight is None:
            raise InputError(f"`{name}` is per body weight ({shown}); give body_weight, e.g. body_weight='0.3 kg'.")
        return float((q * Q_(check_body_weight(body_weight), "kg")).to(unit).magnitude), shown
    raise UnitError(f"`{name}` must be {what} (got {shown}); write e.g. {example}.")


def amount_mg(value: Any, name: str = "dose", body_weight: Any = None) -> float:
    """A dose as mg: a mass ("12.5 mg"), mass per body weight with ``body_weight``, or a number in mg."""
    mg, shown = _read(value, name, "mg", "[mass]", "a mass", "'12.5 mg'", body_weight)
    if not math.isfinite(mg):
        raise InputError(f"`{name}` must be a finite amount (got {shown}); write e.g. '12.5 mg'.")
    if mg < 0:
        raise InputError(f"`{name}` must not be negative (got {shown}); give a dose >= 0, e.g. '12.5 mg'.")
    return mg


def _rate_mg_h(value: Any, body_weight: Any = None) -> float:
    """An infusion rate as mg/h ("10 mg/h", "1 mg/kg/h" with ``body_weight``, or a number in mg/h)."""
    rate, shown = _read(value, "rate", "mg/h", "[mass] / [time]", "a mass per time", "'10 mg/h'", body_weight)
    if not (math.isfinite(rate) and rate > 0):
        raise InputError(f"`rate` must be greater than zero (got {shown}); write e.g. '10 mg/h'.")
    return rate


def _time_h(value: Any, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or np.ndim(getattr(value, "magnitude", value)) != 0:
        raise InputError(f"`{name}` must be one time, e.g. '8 h' or 8.0 (got {value!r}).", key=name, value=value)
    return float(as_float(value, "h", name))


def interval_h(value: Any, name: str = "every") -> float:
    h = _time_h(value, name)
    if not h > 0:
        raise InputError(f"`{name}` must be greater than zero (got {value!r}); write e.g. '8 h'.")
    if name == "every" and h < MIN_INTERVAL_H:
        raise InputError(f"`every` ({h * 3600:.3g} s) is shorter than one minute, the shortest dosing interval accepted "
                         f"(closer doses are one dose); for a continuous input use Regimen.infusion.", key=name, value=value)
    return h


def _count(count: Any, name: str = "count") -> int:
    whole = isinstance(count, Integral) and not isinstance(count, (bool, np.bool_))
    whole = whole or (isinstance(count, float) and count.is_integer())
    if not whole or count < 1:
        raise InputError(f"`{name}` must be a whole number >= 1 (got {count!r}); give e.g. {name}=84.", key=name,
                         value=count)
    return _cap(int(count), name)


def _cap(n: int, name: str) -> int:
    """``n`` doses, if at most `pdsim.limits.MAX_DOSES` (each dose is an event the engine superposes)."""
    if n > MAX_DOSES:
        raise InputError(f"`{name}` asks for {n:,} doses, above the cap of {MAX_DOSES:,} per regimen (more than any "
                         f"protocol; each dose is an event the engine superposes); use a longer interval or a shorter "
                         f"span.", key=name, value=n)
    return n


#: common other names, used only to suggest the right one
_ROUTE_HINTS = {"iv": "iv_bolus", "i.v.": "iv_bolus", "bolus": "iv_bolus", "infusion": "iv_infusion", "po": "oral",
                "p.o.": "oral", "i.p.": "ip", "s.c.": "sc", "subcutaneous": "sc", "intraperitoneal": "ip"}


def check_route(route: Any) -> str:
    if route not in ROUTES:
        hint = _ROUTE_HINTS.get(str(route).strip().lower())
        tip = f" Did you mean '{hint}'?" if hint else did_you_mean(route, ROUTES)
        raise InputError(f"`route` must be one of {', '.join(ROUTES)} (got {route!r}).{tip}")
    return route


def _base_fraction(drug: str | None, form: Any) -> float:
    """M_base / M_salt for a dose of ``drug`` stated as the salt ``form`` (1 without a form)."""
    if form is None:
        return 1.0
    if not isinstance(form, str) or not form.strip():
        raise InputError(f"`form` must be a salt name such as 'hydrochloride' (got {form!r}).", key="form", value=form)
    if drug is None:
        raise InputError(f"`form` ({form!r}) needs `drug`: the salt's molar mass is in the drug's file; give e.g. "
                         f"drug='amitriptyline', form='hydrochloride'.", key="form", value=form)
    from .catalog import drug as lookup

    return lookup(drug).base_fraction(form)


def _dose_times(start: float, every: float | None, count: Any, until: Any) -> list[float]:
    """Dose times start + i·every for i < count, or for every such time before ``until``."""
    if every is None:
        if until is not None or (count is not None and count != 1):
            raise InputError("`count`/`until` need `every` (how often), e.g. every='8 h'.")
        return [start]
    if (count is None) == (until is None):
        raise InputError(f"give exactly one of `count` and `until` (got {'both' if count is not None else 'neither'}); "
                         "e.g. count=84 or until='28 day'.")
    if count is not None:
        return [start + i * every for i in range(_count(count))]
    end = _time_h(until, "until")
    # doses strictly before `until` (28 days of 8-hourly dosing is 84 doses, the last at 664 h)
    steps = (end - start) / every
    if steps > MAX_DOSES:
        _cap(MAX_DOSES + 1 if not math.isfinite(steps) else math.ceil(steps), "until")
    n = math.ceil(steps - 1e-9)
    if n < 1:
        raise InputError(f"`until` ({end:g} h) must come after the first dose at {start:g} h; write e.g. until='28 day'.")
    return [start + i * every for i in range(n)]


@dataclass(frozen=True)
class Dose:
    """One administration of a drug.

    Parameters
    ----------
    time : float or quantity
        When the dose is given, in h (for an infusion, when it starts).
    amount : float or quantity
        Amount in mg (for an infusion, the total given over ``duration``); >= 0.
    route : {"oral", "iv_bolus", "iv_infusion", "ip", "sc"}
        Oral doses are absorbed with ka, F and the lag time; ip and sc with ka and F_ip (no lag);
        iv doses enter the central compartment.
    duration : float or quantity
        Infusion duration in h (> 0 for ``"iv_infusion"``, 0 otherwise).
    drug : str, optional
        Catalogue name of the drug; a dose without a name belongs to whichever drug is asked for.
    form : str, optional
        The salt the dose was stated as (e.g. "hydrochloride"); ``amount`` is already the base
        equivalent (`Regimen.single`/`repeated` with ``form=`` convert it). See `Regimen.notes`.
    """

    time: float
    amount: float
    route: str = "oral"
    duration: float = 0.0
    drug: str | None = None
    form: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "time", _time_h(self.time, "time"))
        object.__setattr__(self, "amount", amount_mg(self.amount))
        check_route(self.route)
        duration = 0.0 if self.duration is None else float(as_float(self.duration, "h", "duration", nonnegative=True))
        if self.route == "iv_infusion" and duration <= 0:
            raise InputError("an iv_infusion needs a duration > 0; give duration='2 h' or use Regimen.infusion(rate=..., duration=...).")
        if self.route != "iv_infusion" and duration != 0:
            raise InputError(f"`duration` applies only to route 'iv_infusion' (got {duration:g} h for route '{self.route}'); leave it out.")
        object.__setattr__(self, "duration", duration)
        if self.drug is not None and not isinstance(self.drug, str):
            raise InputError(f"`drug` must be a catalogue name such as 'tianeptine' (got {self.drug!r}).")
        if self.form is not None and (not isinstance(self.form, str) or self.drug is None):
            raise InputError(f"`form` must be a salt name such as 'hydrochloride' on a dose that names its drug "
                             f"(got form={self.form!r}, drug={self.drug!r}).")

    @property
    def rate(self) -> float:
        """Infusion rate in mg/h (0 for other routes)."""
        return self.amount / self.duration if self.duration else 0.0

    @property
    def end(self) -> float:
        """When the input ends, in h (= ``time`` except for infusions)."""
        return self.time + self.duration

    def scaled(self, factor: float) -> "Dose":
        return Dose(self.time, self.amount * factor, self.route, self.duration, self.drug, self.form)


@dataclass(frozen=True)
class Regimen:
    """An immutable set of doses, sorted by time.

    Build one with the class methods (`single`, `repeated`, `loading`, `infusion`, `ladder`) or from
    `Dose` objects; combine with ``+`` (several drugs, bolus plus infusion), drop doses with `skip`.

    Examples
    --------
    >>> r = Regimen.repeated(dose="12.5 mg", every="8 h", count=84, drug="tianeptine")
    >>> len(r), r.events[-1].time
    (84, 664.0)
    """

    events: tuple[Dose, ...] = ()

    def __post_init__(self) -> None:
        evs = (self.events,) if isinstance(self.events, Dose) else tuple(self.events)
        for e in evs:
            if not isinstance(e, Dose):
                raise InputError(f"a Regimen holds Dose objects (got {type(e).__name__}); build doses with Dose(time, amount, route).")
        object.__setattr__(self, "events", tuple(sorted(evs, key=lambda d: d.time)))

    # --- construction ---------------------------------------------------------------
    @classmethod
    def single(cls, dose: Any = "25 mg", route: str = "oral", at: Any = "0 h", drug: str | None = None,
               body_weight: Any = None, duration: Any = None, form: str | None = None) -> "Regimen":
        """One dose of ``dose`` (mg, or mg/kg with ``body_weight``) at time ``at``; ``form`` as in `repeated`."""
        return cls.repeated(dose, every=None, count=1, route=route, start=at, drug=drug, body_weight=body_weight,
                            duration=duration, form=form)

    @classmethod
    def repeated(cls, dose: Any = "12.5 mg", every: Any = "8 h", count: Any = None, until: Any = None,
                 route: str = "oral", start: Any = "0 h", drug: str | None = None, body_weight: Any = None,
                 duration: Any = None, form: str | None = None) -> "Regimen":
        """``dose`` every ``every``, ``count`` times or for every dose time before ``until``.

        Parameters
        ----------
        dose : str, quantity or float
            Amount per dose: "12.5 mg", "0.5 mg/kg" (with ``body_weight``) or mg.
        every : str, quantity or float
            Dosing interval (h); > 0.
        count : int, optional
            Number of doses; give this or ``until``.
        until : str, quantity or float, optional
            Dose at start, start + every, ... while before this time (h): "28 day" with every
            "8 h" gives 84 doses.
        route, start, drug, body_weight, duration
            As for `Dose`; ``start`` is the first dose time.
        form : str, optional
            The salt ``dose`` is stated as, one of the drug's [forms] (e.g. "hydrochloride"): the
            amount is converted to base, :math:`A_{base} = A \\cdot M_{base}/M_{salt}`; needs ``drug``.
        """
        route = check_route(route)
        amount = amount_mg(dose, "dose", body_weight) * _base_fraction(drug, form)
        step = None if every is None else interval_h(every)
        times = _dose_times(_time_h(start, "start"), step, count, until)
        dur = None if duration is None else _time_h(duration, "duration")
        return cls(tuple(Dose(t, amount, route, dur, drug, form) for t in times))

    @classmethod
    def loading(cls, loading: Any, dose: Any, every: Any, count: Any = None, until: Any = None, route: str = "oral",
                start: Any = "0 h", drug: str | None = None, body_weight: Any = None) -> "Regimen":
        """A loading dose at ``start``, then ``dose`` every ``every``; ``count`` includes the loading dose."""
        r = cls.repeated(dose, every, count, until, route, start, drug, body_weight)
        first = r.events[0]
        return cls((Dose(first.time, amount_mg(loading, "loading", body_weight), route, 0.0, drug),) + r.events[1:])

    @classmethod
    def infusion(cls, rate: Any = None, dose: Any = None, duration: Any = None, every: Any = None, count: Any = None,
                 until: Any = None, start: Any = "0 h", drug: str | None = None, body_weight: Any = None) -> "Regimen":
        """Zero-order iv infusion(s): give two of ``rate``, ``dose`` (total) and ``duration``.

        One infusion by default; repeated with ``every`` and ``count``/``until``. An infusion may
        last longer than the interval (the infusions then overlap and their rates add).
        """
        given = [x is not None for x in (rate, dose, duration)]
        if sum(given) == 3:
            raise InputError("give two of `rate`, `dose` and `duration` for an infusion, not all three; e.g. rate='10 mg/h', duration='2 h'.")
        if rate is None and dose is None:
            raise InputError("an infusion needs `rate` (e.g. '10 mg/h') or `dose` (e.g. '20 mg') together with `duration` (e.g. '2 h').")
        if duration is None and (rate is None or dose is None):
            raise InputError("an infusion needs a duration: give duration='2 h' with rate or dose, or give both rate and dose.")
        if duration is not None:
            dur = interval_h(duration, "duration")
            amount = _rate_mg_h(rate, body_weight) * dur if rate is not None else amount_mg(dose, "dose", body_weight)
        else:
            amount = amount_mg(dose, "dose", body_weight)
            dur = amount / _rate_mg_h(rate, body_weight)
        step = None if every is None else interval_h(every)
        if step is not None and count is None and until is None:
            count = 1
        times = _dose_times(_time_h(start, "start"), step, count, until)
        return cls(tuple(Dose(t, amount, "iv_infusion", dur, drug) for t in times))

    @classmethod
    def ladder(cls, doses: Iterable[Any], every: Any, per_step: Any, route: str = "oral", start: Any = "0 h",
               drug: str | None = None, body_weight: Any = None) -> "Regimen":
        """Dose escalation: each amount in ``doses`` given ``per_step`` times (or for a time such as "7 day") every ``every``."""
        step = interval_h(every)
        if _is_number(per_step):
            n = _count(per_step, "per_step")
        else:
            n = len(_dose_times(0.0, step, None, per_step))
        t0 = _time_h(start, "start")
        out: list[Dose] = []
        amounts = [amount_mg(d, "doses", body_weight) for d in doses]
        if not amounts:
            raise InputError("`doses` of a ladder must list at least one dose, e.g. ['12.5 mg', '25 mg'].")
        _cap(n * len(amounts), "per_step")
        for s, amount in enumerate(amounts):
            out.extend(Dose(t0 + (s * n + i) * step, amount, check_route(route), 0.0, drug) for i in range(n))
        return cls(tuple(out))

    # --- event tables (NONMEM convention; pdsim/events.py) ------------------------------
    @classmethod
    def from_events(cls, table: Any, *, drug: str | None = None, id: Any = None, cmt: Any = None,
                    amt_unit: str = "mg", time_unit: str = "h", ignore: Iterable[str] = ()) -> "Regimen":
        """The doses of a NONMEM-convention event table (ID, TIME, AMT, CMT, RATE, II, ADDL, SS, EVID).

        ``table`` is a CSV path, a DataFrame or a list of dicts. EVID 1 rows are doses; RATE > 0
        an infusion of AMT over AMT/RATE; ADDL further doses every II; CMT 1 the depot (oral) and
        2 the central compartment (iv) unless ``cmt`` maps them otherwise; an optional pdsim column
        ROUTE names ip/sc doses and DRUG the drug (else ``drug``). SS and EVID 3/4 are
        refused. Bad records raise `InputError` naming row, column and rule; see
        `pdsim.events.read_events` for every rule.

        Examples
        --------
        >>> r = Regimen.from_events([{"TIME": 0, "AMT": 12.5, "CMT": 1, "II": 8, "ADDL": 2}])
        >>> r.times.tolist()
        [0.0, 8.0, 16.0]
        """
        doses = []
        for rec in _events.read_events(table, id=id, cmt=cmt, amt_unit=amt_unit, time_unit=time_unit, ignore=ignore):
            name = _events.record_drug(rec, drug)
            doses.extend(Dose(t, rec.amount, rec.route, rec.duration, name) for t in rec.times)
        return cls(tuple(doses))

    def to_events(self, path: Any = None, id: Any = 1):
        """This regimen as a NONMEM-convention event table (a pandas DataFrame; also written as CSV to ``path``).

        Runs of equal doses at a constant interval become one record with II and ADDL; times in h,
        AMT in mg, RATE in mg/h. ``Regimen.from_events(r.to_events())`` equals ``r`` exactly.
        """
        table = _events.regimen_to_events(self, id=id)
        if path is not None:
            _events.write_events(table, path)
        return table

    # --- combination ------------------------------------------------------------------
    def __add__(self, other: "Regimen | Dose") -> "Regimen":
        if isinstance(other, Dose):
            other = Regimen((other,))
        if not isinstance(other, Regimen):
            return NotImplemented
        return Regimen(self.events + other.events)

    def __radd__(self, other: Any) -> "Regimen":
        if isinstance(other, int) and other == 0:  # sum(regimens)
            return self
        return self.__add__(other)

    def skip(self, *indices: int) -> "Regimen":
        """A copy without the doses at these positions of `events` (0-based; negative counts from the end)."""
        n = len(self.events)
        drop = set()
        for i in indices:
            if isinstance(i, bool) or not isinstance(i, Integral) or not -n <= i < n:
                raise InputError(f"`skip` index {i!r} is out of range for a regimen of {n} doses; give 0..{n - 1} (or negative from the end).")
            drop.add(int(i) % n)
        return Regimen(tuple(e for j, e in enumerate(self.events) if j not in drop))

    def scaled(self, factor: float) -> "Regimen":
        """Every amount multiplied by ``factor`` (>= 0)."""
        f = float(factor)
        if not (math.isfinite(f) and f >= 0):
            raise InputError(f"`factor` must be a finite number >= 0 (got {factor!r}).")
        return Regimen(tuple(e.scaled(f) for e in self.events))

    def for_drug(self, name: str) -> "Regimen":
        """The doses of drug ``name`` (case-insensitive) and the doses that name no drug."""
        key = name.lower()
        return Regimen(tuple(e for e in self.events if e.drug is None or e.drug.lower() == key))

    # --- inspection -------------------------------------------------------------------
    @property
    def notes(self) -> tuple[str, ...]:
        """The salt-to-base conversions applied to this regimen's doses, one sentence per drug and form."""
        from .catalog import drug

        pairs = dict.fromkeys((e.drug, e.form) for e in self.events if e.form is not None)
        return tuple(drug(d).form_note(f) for d, f in pairs)

    @property
    def drugs(self) -> tuple[str, ...]:
        """Names of the drugs dosed, in order of first dose."""
        return tuple(dict.fromkeys(e.drug for e in self.events if e.drug is not None))

    @property
    def times(self) -> np.ndarray:
        """Dose times in h."""
        return np.array([e.time for e in self.events], dtype=float)

    @property
    def interval(self) -> float | None:
        """The dosing interval in h when the distinct dose times are evenly spaced, else None."""
        t = np.unique(self.times)
        if t.size < 2:
            return None
        d = np.diff(t)
        return float(d[0]) if np.allclose(d, d[0], rtol=1e-9, atol=0) else None

    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self) -> Iterator[Dose]:
        return iter(self.events)

    def __getitem__(self, i: int) -> Dose:
        return self.events[i]

    def __repr__(self) -> str:
        if not self.events:
            return "Regimen(no doses)"
        routes = ", ".join(dict.fromkeys(e.route for e in self.events))
        who = f" of {', '.join(self.drugs)}" if self.drugs else ""
        return (f"Regimen({len(self.events)} dose{'s' if len(self.events) != 1 else ''}{who}, {routes}, "
                f"{self.events[0].time:g}–{self.events[-1].time:g} h)")
