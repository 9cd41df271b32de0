"""Errors raised by pdsim.

Every error is a `PdsimError` and also the builtin that matches its meaning, so callers may
catch either. Messages are one sentence naming the input, the rule and the fix.
"""
from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

__all__ = [
    "did_you_mean",
    "PdsimError",
    "UnitError",
    "InputError",
    "UnknownNameError",
    "ModelFileError",
    "ProvenanceError",
    "SolverError",
    "MissingExtraError",
    "suggest",
]


class PdsimError(Exception):
    """Base class of every error pdsim raises on purpose.

    Besides the one-line message, an error may say where the bad input was, for programs that
    report it their own way: ``file`` (path of a scenario or model file), ``line`` (1-based line
    of the offending value in it), ``key`` (the dotted name of the input, e.g.
    ``arms[2].doses[1].dose``) and ``value`` (what was given). Each is None when not known.
    """

    file: str | None = None
    line: int | None = None
    key: str | None = None
    value: object = None

    def __init__(self, *args: object, file: object = None, line: int | None = None, key: str | None = None,
                 value: object = None) -> None:
        super().__init__(*args)
        self.file = None if file is None else str(file)
        self.line = line
        self.key = key
        self.value = value

    def located(self, message: str) -> "PdsimError":
        """A copy of this error (same class and fields) with another message (adds the location)."""
        new = type(self)(message, file=self.file, line=self.line, key=self.key, value=self.value)
        return new


class UnitError(PdsimError, ValueError):
    """A quantity has the wrong dimension or an unparseable unit."""


class InputError(PdsimError, ValueError):
    """A value breaks a rule: negative, NaN, zero interval, unknown option."""


class UnknownNameError(PdsimError, KeyError):
    """A drug, target, system, scenario or variable name is not known."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else ""


class ModelFileError(PdsimError, ValueError):
    """A model, seed or scenario file is malformed (the message names file and line or field)."""


class ProvenanceError(ModelFileError):
    """A parameter has no source, or a source id that does not resolve."""


class SolverError(PdsimError, RuntimeError):
    """A numerical solver failed; no partial result is returned."""


class MissingExtraError(PdsimError, ImportError):
    """An optional dependency (an install extra such as ``sensitivity`` or ``dask``) is missing."""


def suggest(name: str, options: Iterable[str], *, known: bool = False) -> str:
    """Return " Did you mean 'x'?" for the closest option, or a list of options when none is close.

    With ``known=True`` the list of options follows the suggestion as well (once).
    """
    options = sorted(set(options))
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.5)
    if not close:
        lowered = {o.lower(): o for o in options}
        close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.5)
        close = [lowered[c] for c in close]
    listed = " Known: " + (", ".join(options) or "none") + "."
    if close:
        return f" Did you mean '{close[0]}'?" + (listed if known else "")
    if known or (options and len(options) <= 12):
        return listed
    return ""


def did_you_mean(name: Any, options: Iterable[str]) -> str:
    """" Did you mean 'x'?" for a close option, else "" (for messages that list the options already)."""
    options = list(options) if options else []
    tip = suggest(str(name), options) if options else ""
    return tip if tip.startswith(" Did") else ""
