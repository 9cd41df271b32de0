"""Provenance tables: every parameter of a drug, target, system, scenario or result with its sources.

`sources(name)` is the public entry; `sources_table` formats any dict of Parameters.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from .errors import UnknownNameError, suggest
from .provenance import Parameter

__all__ = ["sources", "sources_table", "format_table", "caption"]

COLUMNS = ["parameter", "value", "unit", "kind", "sources", "citation", "note"]


def sources_table(params: dict[str, Parameter]) -> pd.DataFrame:
    """One row per parameter: name, value, unit, kind, source ids, short citations, note."""
    from .catalog import registry

    reg = registry()
    rows = []
    for name, p in params.items():
        rows.append({
            "parameter": name,
            "value": p.value,
            "unit": p.unit,
            "kind": p.kind,
            "sources": "; ".join(p.sources),
            "citation": "; ".join(reg.cite(s) for s in p.sources),
            "note": p.note,
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def _params_of_name(name: str) -> tuple[str, dict[str, Parameter]]:
    from . import catalog

    low = name.lower()
    if low in [d.lower() for d in catalog.drugs()] or low in catalog.alias_table():
        dr = catalog.drug(name)
        return f"drug {dr.name}", dr.parameters()
    for kind, names, getter in (("target", catalog.targets(), catalog.target), ("system", catalog.systems(), catalog.system)):
        if low in [n.lower() for n in names]:
            mf = getter(name)
            return f"{kind} {mf.name}", {f"parameters.{k}": v for k, v in mf.parameters.items()}
    if name in catalog.scenarios() or name.endswith(".toml"):
        from .scenario import load_scenario
        from .engine.plan import scenario_parameters

        sc = load_scenario(name)
        return f"scenario {sc.name}", scenario_parameters(sc)
    known = catalog.drugs() + catalog.targets() + catalog.systems() + catalog.scenarios()
    raise UnknownNameError(f"No drug, target, system or scenario is called '{name}'.{suggest(name, known)}")


def sources(obj: Any) -> pd.DataFrame:
    """The provenance table of a drug, target, system or scenario (by name), or of a Result, Drug,
    ModelFile or dict of Parameters."""
    from .catalog import Drug, ModelFile

    if isinstance(obj, str):
        return sources_table(_params_of_name(obj)[1])
    if isinstance(obj, Drug):
        return sources_table(obj.parameters())
    if isinstance(obj, ModelFile):
        return sources_table({f"parameters.{k}": v for k, v in obj.parameters.items()})
    if isinstance(obj, dict):
        return sources_table(obj)
    if hasattr(obj, "parameters") and isinstance(obj.parameters, dict):
        return sources_table(obj.parameters)
    raise UnknownNameError(f"sources() takes a name, Drug, ModelFile, Result or dict of Parameters (got {type(obj).__name__}).")


def format_table(df: pd.DataFrame, fmt: str = "table") -> str:
    """Render a sources table as plain text ('table'), 'csv' or 'markdown'."""
    if fmt == "csv":
        return df.to_csv(index=False)
    if fmt == "markdown":
        lines = ["| " + " | ".join(df.columns) + " |", "|" + "---|" * len(df.columns)]
        for _, r in df.iterrows():
            lines.append("| " + " | ".join(_fmt(v).replace("|", "/") for v in r) + " |")
        return "\n".join(lines) + "\n"
    short = df.drop(columns=["note"]) if "note" in df else df
    with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 200,
                           "display.max_colwidth", 60):
        return short.to_string(index=False) + "\n"


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def caption(params: dict[str, Parameter] | list[Parameter], max_items: int = 8) -> str:
    """A 'Sources: …' caption naming the distinct references behind ``params``."""
    from .catalog import registry

    reg = registry()
    plist = list(params.values()) if isinstance(params, dict) else list(params)
    seen: list[str] = []
    for p in plist:
        for s in p.sources:
            c = reg.cite(s)
            if c not in seen:
                seen.append(c)
    more = len(seen) - max_items
    text = "; ".join(seen[:max_items]) + (f"; and {more} more (pdsim sources)" if more > 0 else "")
    return f"Sources: {text.rstrip('.')}." if text else ""
