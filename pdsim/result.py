"""Result: the arrays a simulation produced (arms × subjects × time), with units and sources.

Variables are named by layer: ``plasma.<drug>``, ``free.<drug>``, ``brain.<drug>``,
``biophase.<drug>`` (free effect-site concentration, drugs with ke0),
``occupancy.<target>[.<drug>]``, ``signal.<target>``, ``effect.<state>``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError, UnitError, UnknownNameError, suggest
from .provenance import Parameter
from .units import Q_

__all__ = ["Result"]

#: variable prefixes that hold a drug's concentration (the second token names the drug)
_CONCENTRATIONS = ("plasma", "free", "brain", "biophase")


def tidy_frame(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    """The frames stacked, or an empty table with the columns when there are none."""
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def write_csv(table: pd.DataFrame, path: str | Path) -> Path:
    """Write a table to ``path`` as CSV (creating its folder); return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False)
    return path


@dataclass
class Result:
    """Simulation output.

    Attributes
    ----------
    time_h : ndarray (n_times,)
        Output times in hours (`time` gives them as a quantity).
    arms : list of str
        Arm labels, in scenario order.
    data : dict of str → ndarray (n_arms, n_subjects, n_times)
        The variables, plain floats in ``units[name]``.
    units : dict of str → str
    parameters : dict of str → Parameter
        Every parameter the simulation used, by dotted name (for `pdsim.sources`).
    """

    time_h: np.ndarray
    arms: list[str]
    data: dict[str, np.ndarray]
    units: dict[str, str]
    parameters: dict[str, Parameter] = field(default_factory=dict)
    scenario_name: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def time(self):
        return Q_(self.time_h, "h")

    @property
    def n_subjects(self) -> int:
        first = next(iter(self.data.values()), None)
        return 0 if first is None else first.shape[1]

    @property
    def variables(self) -> list[str]:
        return sorted(self.data)

    def _var(self, name: str) -> np.ndarray:
        if not isinstance(name, str):
            raise InputError(f"a variable is named by a string such as 'plasma.tianeptine' (got {name!r}); see "
                             f"result.variables.", key="variable", value=name)
        try:
            return self.data[name]
        except KeyError:
            raise UnknownNameError(f"Result has no variable '{name}'.{suggest(name, self.data)} See result.variables.") from None

    def __contains__(self, name: str) -> bool:
        return name in self.data

    def __getitem__(self, name: str):
        """The variable as a quantity: (time) for one arm and one subject, (subjects, time) for one arm,
        (arms, [subjects,] time) otherwise.

        Concentrations are molar (nM); pint cannot turn them into ng/mL without the molar mass, so
        use ``result.get(name, unit="ng/mL")`` for a mass concentration."""
        arr = self._var(name)
        if arr.shape[1] == 1:
            arr = arr[:, 0, :]
        if arr.shape[0] == 1:
            arr = arr[0]
        return Q_(arr, self.units.get(name, "dimensionless"))

    def get(self, name: str, arm: str | int | None = None, unit: str | None = None) -> np.ndarray:
        """Plain floats (subjects × time) of one arm (by label or index), in ``units[name]`` or in ``unit``.

        ``unit`` may be any unit of the same dimension, and for a drug concentration
        (``plasma.<drug>``, ``free.<drug>``, ``brain.<drug>``, ``biophase.<drug>``) also a mass
        concentration such as ``"ng/mL"``, converted with the drug's molar mass M:
        :math:`C_{ng/mL} = C_{nM} \\cdot M_{g/mol} / 10^3`.

        Raises
        ------
        UnitError
            If ``unit`` is not compatible with the variable (the message names the variable and its unit).
        """
        arr = self._var(name)
        idx = self._arm_index(arm)
        out = arr[idx]
        return out if unit is None else out * self.scale_factor(name, unit)

    def molar_mass(self, drug: str) -> float:
        """Molar mass (g/mol) of a drug in this result: its ``<drug>.molar_mass`` parameter, else the catalogue's."""
        p = self.parameters.get(f"{drug}.molar_mass")
        if p is not None:
            return float(p.quantity.to("g/mol").magnitude)
        from .catalog import drug as get_drug

        return float(get_drug(drug).molar_mass.quantity.to("g/mol").magnitude)

    def scale_factor(self, name: str, unit: str) -> float:
        """Factor from ``units[name]`` to ``unit`` (through the molar mass for a drug concentration)."""
        from .units import concentration_scale, is_mass_concentration

        have = self.units.get(name, "dimensionless")
        head, _, drug = name.partition(".")
        if is_mass_concentration(unit) and head in _CONCENTRATIONS and Q_(1.0, have).check("[concentration]"):
            to_nm = float(Q_(1.0, have).to("nM").magnitude)
            return to_nm * concentration_scale(unit, self.molar_mass(drug), name="unit")
        try:
            return float(Q_(1.0, have).to(unit).magnitude)
        except Exception as exc:  # pint: DimensionalityError or UndefinedUnitError
            hint = (" Mass concentrations (e.g. 'ng/mL') work for drug concentrations: plasma.<drug>, free.<drug>, "
                    "brain.<drug>, biophase.<drug>." if is_mass_concentration(unit) else "")
            raise UnitError(f"`unit` {unit!r} does not fit '{name}', which is in {have}; give a unit of the same "
                            f"dimension.{hint}") from exc

    def plot(self, variable: str, arms: list[str] | None = None, unit: str | None = None, ax=None,
             time_range=None):
        """A quick look at one variable: its central curve (the median of a population) per arm.

        For a population the band of `pdsim.plot.plot_population` is drawn instead; ``unit`` converts
        as in `get` (e.g. ``"ng/mL"`` for a drug concentration). Returns the matplotlib Figure.
        """
        from .plot import plot_variable

        return plot_variable(self, variable, arms=arms, unit=unit, ax=ax, time_range=time_range)

    def _arm_index(self, arm: str | int | None) -> int:
        if arm is None:
            if len(self.arms) != 1:
                raise UnknownNameError(f"this result has {len(self.arms)} arms; name one of {self.arms} with arm=.")
            return 0
        if isinstance(arm, (int, np.integer)) and not isinstance(arm, (bool, np.bool_)):
            n = len(self.arms)
            if not -n <= arm < n:
                raise UnknownNameError(f"arm index {arm} is out of range for a result of {n} arm(s) {self.arms}; give "
                                       f"0..{n - 1} or a label.", key="arm", value=arm)
            return int(arm) % n
        if not isinstance(arm, str):
            raise InputError(f"`arm` must be a label such as {self.arms[0]!r} or an index (got {arm!r}).", key="arm",
                             value=arm)
        if arm not in self.arms:
            raise UnknownNameError(f"Unknown arm '{arm}'.{suggest(arm, self.arms)}")
        return self.arms.index(arm)

    def _names(self, variables: Any) -> list[str]:
        """``variables`` checked: None (all) or a list of names (a single name must still be in a list)."""
        if variables is None or (isinstance(variables, (list, tuple)) and not variables):
            return self.variables
        if isinstance(variables, str) or not isinstance(variables, (list, tuple)):
            raise InputError(f"`variables` must be a list of names, e.g. [{self.variables[0]!r}] (got {variables!r}).",
                             key="variables", value=variables)
        for v in variables:
            if not isinstance(v, str):
                raise InputError(f"each of `variables` must be a name (got {v!r}).", key="variables", value=v)
        return list(variables)

    def to_dataframe(self, variables: list[str] | None = None) -> pd.DataFrame:
        """Tidy table: one row per arm, subject, time and variable (columns arm, subject, time_h,
        variable, value, unit)."""
        names = self._names(variables)
        frames = []
        nt = len(self.time_h)
        for name in names:
            arr = self._var(name)
            na, ns, _ = arr.shape
            frames.append(pd.DataFrame({
                "arm": np.repeat(np.array(self.arms, dtype=object), ns * nt),
                "subject": np.tile(np.repeat(np.arange(ns), nt), na),
                "time_h": np.tile(self.time_h, na * ns),
                "variable": name,
                "value": arr.reshape(-1),
                "unit": self.units.get(name, ""),
            }))
        return tidy_frame(frames, ["arm", "subject", "time_h", "variable", "value", "unit"])

    def to_xarray(self, variables: list[str] | None = None):
        """The variables as an ``xarray.Dataset`` over (arm, subject, time), units in each variable's attrs.

        Needs the ``xarray`` extra. Coordinates: ``arm`` (labels), ``subject`` (0..n-1) and
        ``time`` (h, ``attrs["units"] == "h"``); each data variable is a copy of
        ``data[name]`` with ``attrs["units"]`` from ``units``; the dataset's attrs carry the scenario
        name and the engine's notes (one string, lines joined).
        """
        try:
            import xarray as xr
        except ImportError:
            from .errors import MissingExtraError

            raise MissingExtraError("Result.to_xarray needs xarray, which is not installed; install the extra: "
                                    'pip install "pdsim-pharmacology[xarray]" (or pip install xarray).') from None
        names = variables or self.variables
        data_vars = {}
        for name in names:
            arr = self._var(name)
            data_vars[name] = xr.Variable(("arm", "subject", "time"), np.array(arr, copy=True),
                                          attrs={"units": self.units.get(name, "dimensionless")})
        coords = {
            "arm": ("arm", np.array(self.arms, dtype=object)),
            "subject": ("subject", np.arange(self.n_subjects)),
            "time": ("time", np.asarray(self.time_h, dtype=float), {"units": "h"}),
        }
        attrs = {"scenario": self.scenario_name, "notes": "\n".join(self.notes)}
        return xr.Dataset(data_vars, coords=coords, attrs=attrs)

    def to_csv(self, path: str | Path, variables: list[str] | None = None) -> Path:
        """Write the tidy table to ``path`` (CSV)."""
        return write_csv(self.to_dataframe(variables), path)

    def summary(self, variables: list[str] | None = None, interval: float = 0.9) -> pd.DataFrame:
        """Median and a prediction interval (default 90 %) per arm, variable and time."""
        if isinstance(interval, (bool, np.bool_)) or not isinstance(interval, (int, float, np.floating)) \
                or not 0 < interval < 1:
            raise InputError(f"`interval` must be a fraction between 0 and 1, e.g. 0.9 for a 90 % interval "
                             f"(got {interval!r}).", key="interval", value=interval)
        lo_q, hi_q = (1 - interval) / 2, 1 - (1 - interval) / 2
        rows = []
        for name in self._names(variables):
            arr = self._var(name)
            med = np.median(arr, axis=1)
            lo = np.quantile(arr, lo_q, axis=1)
            hi = np.quantile(arr, hi_q, axis=1)
            for a, label in enumerate(self.arms):
                rows.append(pd.DataFrame({
                    "arm": label, "variable": name, "time_h": self.time_h, "median": med[a],
                    f"p{lo_q * 100:g}": lo[a], f"p{hi_q * 100:g}": hi[a], "unit": self.units.get(name, ""),
                }))
        return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()

    def sources_table(self) -> pd.DataFrame:
        """Every parameter used, with value, unit, kind and sources (see `pdsim.sources`)."""
        from .report import sources_table

        return sources_table(self.parameters)

    def __repr__(self) -> str:  # short, for notebooks
        return (f"Result('{self.scenario_name}', arms={self.arms}, subjects={self.n_subjects}, "
                f"times={len(self.time_h)}, variables={len(self.data)})")

    def _repr_html_(self) -> str:
        return "<pre>" + repr(self) + "</pre>"


