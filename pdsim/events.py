"""Dosing event tables in the NONMEM convention: checked dose records in, tables of doses out.

One record per row with the columns ID, TIME, AMT, CMT, RATE, II, ADDL, SS and EVID (plus pdsim's
DRUG, ROUTE and DUR); times in h and amounts in mg unless told otherwise. The layer below dosing
and scenarios: `pdsim.Regimen.from_events` / ``to_events`` and a scenario's ``events = "..."`` doses
(`pdsim.scenario`) build on these records; `pdsim.scenario.replay_scenario` replays a table in a scenario.
"""
from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InputError, UnitError, suggest

__all__ = ["ROUTES", "COLUMNS", "DEFAULT_CMT", "EventRecord", "read_events", "record_drug", "regimen_to_events",
           "write_events"]

#: every route a dose can take (a record's ROUTE names one); `pdsim.dosing.ROUTES` is this tuple
ROUTES = ("oral", "iv_bolus", "iv_infusion", "ip", "sc")

#: the NONMEM data-record columns pdsim reads, and its own three (DRUG, ROUTE, DUR: infusion duration)
COLUMNS = ("ID", "TIME", "AMT", "CMT", "RATE", "II", "ADDL", "SS", "EVID", "DRUG", "ROUTE", "DUR")
#: columns a NONMEM data set often carries that describe observations, not doses (read, checked, not used)
_OBSERVATION_COLUMNS = ("DV", "MDV")
#: compartment number -> where the dose goes: 1 the absorption depot (oral), 2 the central compartment (iv),
#: as in NONMEM's ADVAN2/ADVAN4 one- and two-compartment models with first-order absorption
DEFAULT_CMT = {1: "oral", 2: "iv"}
_EXTRAVASCULAR = ("oral", "ip", "sc")
_MISSING = ("", ".")  # NONMEM reads "." as an empty field


@dataclass(frozen=True)
class EventRecord:
    """One dose record after checking: TIME (h), AMT (mg), route, infusion duration (h), II (h), ADDL, drug."""

    row: int
    time: float
    amount: float
    route: str
    duration: float
    ii: float
    addl: int
    drug: str | None

    @property
    def times(self) -> list[float]:
        """TIME, TIME + II, ..., TIME + ADDL·II (the same arithmetic as `Regimen.repeated`)."""
        return [self.time + i * self.ii for i in range(self.addl + 1)] if self.addl else [self.time]


# --- reading -----------------------------------------------------------------------------------
def _rows(table: Any) -> tuple[list[dict[str, Any]], str, list[int] | None]:
    """The table as a list of dicts, a name for messages and each row's line in the file (None: in memory)."""
    if isinstance(table, (str, Path)):
        path = Path(table)
        if not path.is_file():
            raise InputError(f"event table {path} does not exist; give a CSV file with columns TIME, AMT, CMT, ... .")
        with path.open(newline="", encoding="utf-8-sig") as fh:
            kept = [(n, ln) for n, ln in enumerate(fh, start=1)
                    if ln.strip() and not ln.lstrip().startswith(("#", "@", "C ", ";"))]
        if not kept:
            raise InputError(f"event table {path} is empty; it needs a header row naming TIME, AMT, ... .")
        rows = list(csv.DictReader([ln for _, ln in kept], skipinitialspace=True))
        return rows, str(path), [n for n, _ in kept[1:]]
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a core dependency
        pd = None
    if pd is not None and isinstance(table, pd.DataFrame):
        return table.to_dict("records"), "the event table", None
    if isinstance(table, Iterable) and not isinstance(table, (Mapping, str, bytes)):
        rows = list(table)
        if all(isinstance(r, Mapping) for r in rows):
            return [dict(r) for r in rows], "the event table", None
    raise InputError(f"an event table must be a CSV path, a pandas DataFrame or a list of dicts (got {type(table).__name__}).")


def _where(name: str, i: int, lines: list[int] | None, col: str | None = None) -> str:
    at = f"{name}, row {i + 1}" + (f" (line {lines[i]})" if lines and i < len(lines) else "")
    return f"{at}, column {col}" if col else at


def _blank(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return isinstance(v, str) and v.strip() in _MISSING


def _number(v: Any, where: str, rule: str, default: float | None = None) -> float:
    if _blank(v):
        if default is None:
            raise InputError(f"{where} is empty; {rule}.")
        return default
    try:
        x = float(v.strip() if isinstance(v, str) else v)
    except (TypeError, ValueError):
        raise InputError(f"{where} is {v!r}, not a number; {rule}.") from None
    if not math.isfinite(x):
        raise InputError(f"{where} is {v!r}; {rule}.")
    return x


def _whole(v: Any, where: str, rule: str, default: int) -> int:
    x = _number(v, where, rule, float(default))
    if not x.is_integer():
        raise InputError(f"{where} is {v!r}; {rule}.")
    return int(x)


def _factor(unit: str, canonical: str, what: str) -> float:
    from .units import Q_

    try:
        q = Q_(1.0, unit)
        return float(q.to(canonical).magnitude)
    except Exception:  # pint raises several kinds for a bad or mismatched unit
        raise UnitError(f"`{what}` must be a unit convertible to {canonical} (got {unit!r}); write e.g. '{canonical}'.") from None


def _cmt_map(cmt: Mapping[Any, str] | None) -> dict[int, str]:
    out = dict(DEFAULT_CMT) if cmt is None else {}
    for k, v in (cmt or {}).items():
        try:
            key = int(k)
        except (TypeError, ValueError):
            raise InputError(f"`cmt` keys are compartment numbers (got {k!r}); write e.g. cmt={{1: 'oral', 2: 'iv'}}.") from None
        if v != "iv" and v not in _EXTRAVASCULAR:
            raise InputError(f"`cmt` maps compartment {key} to {v!r}; give one of iv, {', '.join(_EXTRAVASCULAR)} "
                             f"(iv becomes iv_bolus or, with RATE > 0, iv_infusion; routes: {', '.join(ROUTES)}).")
        out[key] = v
    return out


def read_events(table: Any, *, id: Any = None, cmt: Mapping[Any, str] | None = None, amt_unit: str = "mg",
                time_unit: str = "h", ignore: Iterable[str] = ()) -> list[EventRecord]:
    """Check an event table and return its dose records (EVID 1), in table order.

    Parameters
    ----------
    table : str, Path, pandas.DataFrame or list of dict
        A CSV file (header row; NONMEM's "." reads as empty; lines starting with ``#`` or ``@`` are
        comments) or the same columns in memory. Column names are case-insensitive.
    id : optional
        The subject whose records to read, when the table holds several IDs.
    cmt : mapping, optional
        Compartment number -> route: ``"iv"`` (central; RATE > 0 makes it an infusion) or an
        extravascular route ``"oral"``, ``"ip"``, ``"sc"`` (depot). Default ``{1: "oral", 2: "iv"}``
        (NONMEM ADVAN2/ADVAN4 numbering); a map given replaces it whole. A ROUTE column, when
        present, names the route itself and CMT must then agree with it.
    amt_unit, time_unit : str
        Units of AMT (RATE is AMT per TIME unit) and of TIME and II.
    ignore : iterable of str
        Further columns to accept and not read (e.g. covariates such as ``WT``).

    Returns
    -------
    list of EventRecord

    Notes
    -----
    EVID 1 rows are doses; EVID 0 (observation) and 2 (other event) rows carry no dose and must
    have AMT empty or 0. EVID 3 and 4 (reset) are refused: a pdsim subject starts drug-free once.
    RATE > 0 is a zero-order infusion of AMT over AMT/RATE; RATE -1/-2 (rate or duration estimated
    by the model) are refused. ADDL additional doses follow every II. SS (steady state) is refused:
    write the doses that lead to steady state explicitly (e.g. with ADDL). MDV and DV are read for
    observation rows only; a dose row must not carry a DV.
    """
    rows, name, lines = _rows(table)
    mapping = _cmt_map(cmt)
    amt_f = _factor(amt_unit, "mg", "amt_unit")
    time_f = _factor(time_unit, "h", "time_unit")
    extra = {ignore.upper()} if isinstance(ignore, str) else {str(c).upper() for c in ignore}
    known = set(COLUMNS) | set(_OBSERVATION_COLUMNS) | extra
    norm: list[dict[str, Any]] = []
    for i, r in enumerate(rows):
        out = {}
        for k, v in r.items():
            if k is None:  # csv puts surplus fields under None
                raise InputError(f"{_where(name, i, lines)} has more fields than the header names; "
                                 "check the delimiter (a comma) and the header.")
            key = str(k).strip().upper()
            if key not in known:
                raise InputError(f"{name}: column {k!r} is not an event-table column ({', '.join(COLUMNS)})."
                                 f"{suggest(key, COLUMNS)} Pass ignore=[{key!r}] (scenario key ignore) to accept it "
                                 "unread.")
            out[key] = v
        norm.append(out)
    if not norm:
        raise InputError(f"{name} has no records; give at least one dose row (EVID 1).")
    cols = set().union(*(r.keys() for r in norm))
    for req in ("TIME", "AMT"):
        if req not in cols:
            raise InputError(f"{name} has no {req} column; an event table needs TIME and AMT (and CMT or ROUTE).")
    if "CMT" not in cols and "ROUTE" not in cols:
        raise InputError(f"{name} has neither CMT nor ROUTE; give CMT (1 depot/oral, 2 central/iv) or a ROUTE column.")
    ids = list(dict.fromkeys(str(r.get("ID")).strip() for r in norm if not _blank(r.get("ID"))))
    if id is None and len(ids) > 1:
        raise InputError(f"{name} holds {len(ids)} subjects (ID {', '.join(ids[:6])}{', ...' if len(ids) > 6 else ''}); "
                         "choose one with id=... (scenario key id).")
    want = None if id is None else _id_key(id)
    if want is not None and want not in {_id_key(x) for x in ids}:
        raise InputError(f"{name} has no records for ID {id!r}; it has ID {', '.join(ids) or '(none)'}.")
    out_records: list[EventRecord] = []
    for i, r in enumerate(norm):
        if want is not None and _id_key(r.get("ID")) != want:
            continue
        w = lambda col: _where(name, i, lines, col)  # noqa: E731 - message helper
        evid = _whole(r.get("EVID"), w("EVID"), "EVID must be 0 (observation), 1 (dose) or 2 (other event)", 1)
        amt = _number(r.get("AMT"), w("AMT"), f"AMT must be an amount >= 0 in {amt_unit}", 0.0)
        if evid in (3, 4):
            raise InputError(f"{w('EVID')} is {evid} (reset); pdsim starts each subject drug-free once and cannot reset "
                             "mid-record; split the table into separate runs.")
        if evid not in (0, 1, 2):
            raise InputError(f"{w('EVID')} is {evid}; EVID must be 0 (observation), 1 (dose) or 2 (other event).")
        if evid != 1:
            if amt != 0:
                raise InputError(f"{w('AMT')} is {amt:g} on an EVID {evid} row, which gives no dose; "
                                 "set EVID 1 for a dose or leave AMT empty.")
            continue
        if "DV" in r and not _blank(r["DV"]):
            raise InputError(f"{w('DV')} holds an observation on a dose row (EVID 1); put observations on EVID 0 rows.")
        if "MDV" in r and not _blank(r["MDV"]) and _whole(r["MDV"], w("MDV"), "MDV must be 0 or 1", 1) != 1:
            raise InputError(f"{w('MDV')} is 0 on a dose row; a dose row has MDV 1 (no observation).")
        time = _number(r.get("TIME"), w("TIME"), f"TIME must be a time in {time_unit}") * time_f
        if amt < 0:
            raise InputError(f"{w('AMT')} is {amt:g}; AMT must be an amount >= 0 in {amt_unit}.")
        amt *= amt_f
        rate = _number(r.get("RATE"), w("RATE"), f"RATE must be 0 (bolus) or > 0 ({amt_unit}/{time_unit})", 0.0)
        if rate in (-1.0, -2.0):
            raise InputError(f"{w('RATE')} is {rate:g} (rate or duration estimated by the model); pdsim needs the rate "
                             f"itself: give RATE > 0 in {amt_unit}/{time_unit}.")
        if rate < 0:
            raise InputError(f"{w('RATE')} is {rate:g}; RATE must be 0 (bolus) or > 0 ({amt_unit}/{time_unit}).")
        rate *= amt_f / time_f
        ss = _whole(r.get("SS"), w("SS"), "SS must be 0", 0)
        if ss != 0:
            raise InputError(f"{w('SS')} is {ss} (steady state); pdsim does not assume steady state: give the doses "
                             "that lead to it explicitly (e.g. a first dose with ADDL and II), then set SS 0.")
        ii = _number(r.get("II"), w("II"), f"II must be an interval >= 0 in {time_unit}", 0.0)
        addl = _whole(r.get("ADDL"), w("ADDL"), "ADDL must be a whole number >= 0", 0)
        if ii < 0:
            raise InputError(f"{w('II')} is {ii:g}; II must be an interval >= 0 in {time_unit}.")
        if addl < 0:
            raise InputError(f"{w('ADDL')} is {addl}; ADDL must be a whole number >= 0.")
        if addl > 0 and ii == 0:
            raise InputError(f"{w('II')} is empty or 0 but ADDL is {addl}; additional doses need an interval II > 0.")
        if addl == 0 and ii > 0:
            raise InputError(f"{w('II')} is {ii:g} but ADDL is 0 and SS 0, so it would have no effect; "
                             "give ADDL (the number of additional doses) or leave II empty.")
        ii *= time_f
        route = _route_of(r, w, mapping, rate, ROUTES)
        drug = None if _blank(r.get("DRUG")) else str(r["DRUG"]).strip()
        duration = 0.0
        if route == "iv_infusion":
            if amt == 0:
                raise InputError(f"{w('AMT')} is 0 on an infusion row (RATE {rate:g}); give the amount infused.")
            duration = amt / rate
            if not _blank(r.get("DUR")):
                # DUR (pdsim's) carries the exact duration when AMT/RATE cannot give it back bit for bit
                dur = _number(r["DUR"], w("DUR"), f"DUR must be the infusion duration in {time_unit}") * time_f
                if not math.isclose(dur, duration, rel_tol=1e-9):
                    raise InputError(f"{w('DUR')} is {dur:g} h but AMT/RATE gives {duration:g} h; make them agree "
                                     "or leave DUR empty.")
                duration = dur
        elif not _blank(r.get("DUR")):
            raise InputError(f"{w('DUR')} is given for a {route} dose; DUR is the duration of an infusion (RATE > 0).")
        out_records.append(EventRecord(i + 1, time, amt, route, duration, ii, addl, drug))
    if not out_records:
        raise InputError(f"{name} has no dose records (EVID 1){'' if want is None else f' for ID {id!r}'}.")
    return out_records


def _id_key(v: Any) -> str:
    """IDs compare as numbers when they are numbers (1 == "1" == 1.0), else as text."""
    if _blank(v):
        return ""
    try:
        x = float(v)
        return repr(int(x)) if x.is_integer() else repr(x)
    except (TypeError, ValueError):
        return str(v).strip()


def _route_of(r: dict[str, Any], w, mapping: dict[int, str], rate: float, routes: tuple[str, ...]) -> str:
    kind = None
    if "CMT" in r and not _blank(r["CMT"]):
        c = _whole(r["CMT"], w("CMT"), f"CMT must be a compartment number ({', '.join(map(str, mapping))})", 0)
        if c not in mapping:
            raise InputError(f"{w('CMT')} is {c}; known compartments: "
                             + ", ".join(f"{k} ({v})" for k, v in mapping.items())
                             + "; map others with cmt={...} (scenario key cmt).")
        kind = mapping[c]
    given = None if _blank(r.get("ROUTE")) else str(r["ROUTE"]).strip()
    if given is not None:
        if given not in routes:
            raise InputError(f"{w('ROUTE')} is {given!r}; give one of {', '.join(routes)}.{suggest(given, routes)}")
        if kind is not None and (kind == "iv") != given.startswith("iv"):
            raise InputError(f"{w('CMT')} doses into the {'central compartment (iv)' if kind == 'iv' else 'depot'} but "
                             f"ROUTE is {given!r}; make them agree.")
        if (given == "iv_infusion") != (rate > 0):
            raise InputError(f"{w('RATE')} is {rate:g} but ROUTE is {given!r}; an iv_infusion needs RATE > 0 and "
                             "other routes RATE 0.")
        return given
    if kind is None:
        raise InputError(f"{w('CMT')} is empty and there is no ROUTE; give CMT (1 depot/oral, 2 central/iv).")
    if kind == "iv":
        return "iv_infusion" if rate > 0 else "iv_bolus"
    if rate > 0:
        raise InputError(f"{w('RATE')} is {rate:g} into the depot ({kind}); zero-order absorption is not modelled: "
                         "give RATE 0, or dose into the central compartment (CMT 2) for an infusion.")
    return kind


def record_drug(rec: EventRecord, drug: str | None, strict: bool = True) -> str | None:
    """The drug a record doses: its DRUG, else ``drug``; with ``strict`` a DRUG other than ``drug`` is an error."""
    if strict and drug is not None and rec.drug is not None and rec.drug.lower() != drug.lower():
        raise InputError(f"row {rec.row}, column DRUG is {rec.drug!r} but the table is read for {drug!r}; "
                         "drop the DRUG column or make them agree.")
    return rec.drug if rec.drug is not None else drug


# --- writing -----------------------------------------------------------------------------------
_CMT_OF = {"oral": 1, "ip": 1, "sc": 1, "iv_bolus": 2, "iv_infusion": 2}


def _exact_rate(amount: float, duration: float) -> tuple[float, bool]:
    """amount/duration, nudged by a few ulps if that makes AMT/RATE give ``duration`` back exactly;
    and whether it does (if not, the table also carries DUR)."""
    rate = amount / duration
    cand = rate
    for _ in range(8):
        if amount / cand == duration:
            return cand, True
        cand = math.nextafter(cand, math.inf if amount / cand > duration else -math.inf)
    return rate, False


def _runs(events: list[Any]) -> list[tuple[Any, float, int]]:
    """Maximal runs of identical doses at a constant interval: (first dose, II, ADDL); per (drug, route,
    amount, duration), only where TIME + i·II reproduces each time exactly."""
    groups: dict[tuple, list[Any]] = {}
    for e in events:
        groups.setdefault((e.drug, e.route, e.amount, e.duration), []).append(e)
    out = []
    for evs in groups.values():
        j = 0
        while j < len(evs):
            first = evs[j]
            k = j + 1
            ii = evs[k].time - first.time if k < len(evs) else 0.0
            if ii > 0:
                while k < len(evs) and evs[k].time == first.time + (k - j) * ii:
                    k += 1
            if k - j < 2:
                out.append((first, 0.0, 0))
                j += 1
            else:
                out.append((first, ii, k - j - 1))
                j = k
    out.sort(key=lambda x: x[0].time)  # stable: ties keep first-seen order
    return out


def regimen_to_events(regimen: Any, id: Any = 1) -> "pd.DataFrame":  # noqa: F821
    """The regimen as NONMEM-convention records (one per run of equal doses at a constant interval).

    Columns ID, TIME (h), AMT (mg), CMT (1 depot, 2 central), RATE (mg/h, infusions), II (h),
    ADDL, SS (0), EVID (1); DRUG when any dose names its drug; ROUTE when a dose is ip or sc
    (which share the depot with oral doses); DUR (h) when some infusion's AMT/RATE cannot give its
    duration back exactly in floating point. Reading the table back with `Regimen.from_events`
    gives the same regimen exactly (if compressing into II/ADDL would change a time or the order
    of simultaneous doses in the last bit, every dose gets its own record instead).
    """
    import pandas as pd

    events = list(regimen.events)
    if not events:
        raise InputError("the regimen has no doses; an event table needs at least one dose record.")
    for e in events:
        if e.route == "iv_infusion" and e.amount == 0:
            raise InputError(f"the infusion at {e.time:g} h has amount 0, which an event table cannot express "
                             "(RATE would be 0, a bolus); remove it.")
    runs = _runs(events)
    expanded = [ev.__class__(ev.time + i * ii, ev.amount, ev.route, ev.duration, ev.drug)
                for ev, ii, addl in runs for i in range(addl + 1)]
    if tuple(sorted(expanded, key=lambda d: d.time)) != tuple(events):
        runs = [(e, 0.0, 0) for e in events]
    with_drug = any(e.drug is not None for e in events)
    with_route = any(e.route in ("ip", "sc") for e in events)
    rows = []
    inexact = False
    for ev, ii, addl in runs:
        rate, exact = _exact_rate(ev.amount, ev.duration) if ev.route == "iv_infusion" else (0.0, True)
        inexact |= not exact
        row = {"ID": id, "TIME": ev.time, "AMT": ev.amount, "CMT": _CMT_OF[ev.route], "RATE": rate,
               "II": ii, "ADDL": addl, "SS": 0, "EVID": 1}
        if with_drug:
            row["DRUG"] = ev.drug if ev.drug is not None else ""
        if with_route:
            row["ROUTE"] = ev.route
        row["DUR"] = ev.duration if ev.route == "iv_infusion" else None
        rows.append(row)
    table = pd.DataFrame(rows)
    return table if inexact else table.drop(columns="DUR")


def write_events(table: "pd.DataFrame", path: str | Path) -> Path:  # noqa: F821
    """Write an event table as CSV with every float in its shortest exact form (so it reads back bit for bit)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        wr = csv.writer(fh)
        wr.writerow(list(table.columns))
        for rec in table.itertuples(index=False):
            wr.writerow([_cell(v) for v in rec])
    return path


def _cell(v: Any) -> Any:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "."  # NONMEM's empty field
    return repr(float(v)) if isinstance(v, float) else v
