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

__all__ = ["ArmContext", "SystemSpec", "register", "systems", "check_names", "SYSTEMS"]

#: the packages whose modules define systems (each module calls `register` at import)
PACKAGES = ("pdsim.effects",)


@dataclass(frozen=True)
class ArmContext:
    """What a system factory may read about the arm it is built for: the arm and its compounds."""

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
    """

    name: str
    build: Callable[[ArmContext], Any]
    order: int
    description: str
    parameters: str = ""


_REGISTRY: dict[str, SystemSpec] = {}
_LOADED: list[bool] = []


def register(spec: SystemSpec) -> SystemSpec:
    """Add a system (called by its own module at import); a second system of the same name is an error."""
    old = _REGISTRY.get(spec.name)
    if old is not None and old.build is not spec.build and old.build.__qualname__ != spec.build.__qualname__:
        raise ValueError(f"system '{spec.name}' is registered twice ({old.build.__module__} and {spec.build.__module__})")
    _REGISTRY[spec.name] = spec
    return spec


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
