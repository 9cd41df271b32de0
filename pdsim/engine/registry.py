"""The plan stage's registry of downstream systems: each system module registers itself here.

A scenario names systems in ``systems = [...]``; the names are checked against this registry when the scenario is loaded.
"""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import UnknownNameError, suggest

__all__ = ["ArmContext", "SystemSpec", "register", "unregister", "systems", "check_names", "method", "SYSTEMS"]

#: the packages whose modules define systems (each module calls `register` at import)
PACKAGES = ("pdsim.effects",)


@dataclass(frozen=True)
class ArmContext:
    """What a system factory may read about the arm it is built for: the arm and its compounds.

    ``drugs`` holds each compound as a `pdsim.catalog.DrugName`: its name, bound to the drug it was
    resolved to (the scenario's own drugs first), so a factory reads the drug without a look-up.
    """

    arm: Any
    drugs: tuple[str, ...]


@dataclass(frozen=True)
class SystemSpec:
    """One downstream system.

    Attributes
    ----------
    name : str
        The name a scenario lists in ``systems = [...]``.
    build : callable
        ``build(ArmContext) -> model``: a `pdsim.model.DynamicModel` with a ``compiled()`` form (see
        `pdsim.engine.ode.CompiledSystem`); its ``states`` (relative, dimensionless), ``inputs`` (e.g.
        ``"signal.MOR"``, ``"stress"``) and ``outputs`` are the model's own.
    order : int
        Position in the chain: a system sees the states and outputs of the systems before it.
    description : str
        One line for ``pdsim list systems``.
    parameters : str
        The models/systems file (or target file) holding its parameters.
    stiff : bool
        True when the system's time scales are so far apart that an explicit method would need
        steps far shorter than its inputs and outputs ask for: an arm with a stiff system is
        integrated by the Rosenbrock stage (`pdsim.engine.stiff`), every other arm by the explicit
        stage (`pdsim.engine.ode`).
    jac : numba function, optional
        The system's analytic Jacobian ``jac(y, pool, idx, p, J)`` (`pdsim.engine.stiff.compile_jac`);
        without it the stiff stage takes finite differences.
    """

    name: str
    build: Callable[[ArmContext], Any]
    order: int
    description: str
    parameters: str = ""
    stiff: bool = False
    jac: Any = None


_REGISTRY: dict[str, SystemSpec] = {}
_LOADED: list[bool] = []


def register(spec: SystemSpec) -> SystemSpec:
    """Add a system (called by its own module at import); a second system of the same name is an error."""
    old = _REGISTRY.get(spec.name)
    if old is not None and old.build is not spec.build and old.build.__qualname__ != spec.build.__qualname__:
        raise ValueError(f"system '{spec.name}' is registered twice ({old.build.__module__} and {spec.build.__module__})")
    _REGISTRY[spec.name] = spec
    return spec


def unregister(name: str) -> None:
    """Remove a system (a test's own, or one a session added); an unknown name is an UnknownNameError."""
    if name not in _REGISTRY:
        raise UnknownNameError(f"Unknown system '{name}'; nothing to unregister.")
    del _REGISTRY[name]


def systems() -> dict[str, SystemSpec]:
    """Every registered system by name, in chain order (imports the system modules on first use)."""
    if not _LOADED:
        for package in PACKAGES:
            pkg = importlib.import_module(package)
            for info in pkgutil.iter_modules(pkg.__path__):
                importlib.import_module(f"{package}.{info.name}")
        _LOADED.append(True)
    return dict(sorted(_REGISTRY.items(), key=lambda kv: (kv[1].order, kv[0])))


def check_names(names: Any, where: str) -> None:
    """Raise UnknownNameError for a name in ``names`` that is not a registered system."""
    known = systems()
    for s in names:
        if s not in known:
            raise UnknownNameError(f"Unknown system '{s}' in {where}.{suggest(str(s), known)} "
                                   f"Known: {', '.join(known)} (`pdsim list systems`).")


def method(names: Any) -> str:
    """The ODE method for an arm with these systems: ``"rodas4"`` (`pdsim.engine.stiff`) when any of
    them registered as stiff, else ``"dop853"`` (`pdsim.engine.ode`); ``""`` when there are none."""
    known = systems()
    names = list(names)
    if not names:
        return ""
    return "rodas4" if any(known[s].stiff for s in names) else "dop853"


class _Builders(Mapping):
    """The registry as {name: build}, in chain order (what `pdsim.simulate.SYSTEMS` was)."""

    def __getitem__(self, name: str) -> Callable[[ArmContext], Any]:
        return systems()[name].build

    def __iter__(self) -> Iterator[str]:
        return iter(systems())

    def __len__(self) -> int:
        return len(systems())


#: name -> factory of every registered system, in chain order
SYSTEMS = _Builders()
