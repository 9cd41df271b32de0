"""`pdsim check`: prove that every parameter in models/ and every record in seeds/ is sound.

Unresolved sources, unused references, claims naming missing checks and line spans outside
their seed file are all reported, each with file and id.
"""
from __future__ import annotations

from pathlib import Path

from .errors import PdsimError
from .provenance import Parameter, Registry, is_parameter_table, load_toml

__all__ = ["check_tree", "shared_seeds_dir"]


def shared_seeds_dir(root: Path) -> Path | None:
    """The source documents (../shared/seeds beside the project), when present."""
    for cand in (root.parent / "shared" / "seeds", root / ".." / "shared" / "seeds"):
        if cand.is_dir():
            return cand.resolve()
    return None


def _walk_params(obj, prefix: str, out: list[tuple[str, dict]]) -> None:
    if is_parameter_table(obj):
        out.append((prefix, obj))
        return
    if isinstance(obj, dict):
        for k, v in obj.items():
            _walk_params(v, f"{prefix}.{k}" if prefix else k, out)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            _walk_params(v, f"{prefix}[{i}]", out)


def check_tree(root: Path | None = None, with_checks: bool = True) -> list[str]:
    """Return a list of problems (empty when the tree is sound)."""
    from . import catalog

    root = Path(root) if root else catalog.root()
    problems: list[str] = []
    try:
        reg = Registry.load(root / "seeds")
    except PdsimError as exc:
        return [str(exc)]
    used: set[str] = set()
    #: every Parameter of models/ by id "<subfolder>/<file>:<dotted key>" -> its sources
    params: dict[str, tuple[str, ...]] = {}
    for path in sorted((root / "models").rglob("*.toml")):
        try:
            data = load_toml(path)
        except PdsimError as exc:
            problems.append(str(exc))
            continue
        rel = path.relative_to(root / "models")
        found: list[tuple[str, dict]] = []
        _walk_params(data, "", found)
        for name, tbl in found:
            try:
                p = Parameter.from_table(tbl, name, path)
                reg.require(p, path)
                used.update(p.sources)
                params[f"{rel.with_suffix('')}:{name}"] = tuple(p.sources)
            except PdsimError as exc:
                problems.append(str(exc))
        # every file must also load through its typed loader (scenarios, including studies/, as scenarios)
        try:
            if rel.parts[0] == "drugs":
                catalog.load_drug_file(path, reg)
            elif rel.parts[0] == "scenarios":
                from .scenario import Scenario

                Scenario.from_dict(data, path=path)
                used.update(data.get("sources", []))  # a study's design cites the paper its checks compare with
        except PdsimError as exc:
            problems.append(str(exc))
    problems.extend(_check_methods(root, reg, used))
    for c in reg.claims.values():
        used.update(c.references)
        for other in c.contradicts:
            if other not in reg.claims:
                problems.append(f"seeds/claims.toml: claim '{c.id}' contradicts unknown claim '{other}'.")
        for r in c.references:
            if r not in reg.references:
                problems.append(f"seeds/claims.toml: claim '{c.id}' cites unknown reference '{r}'.")
    unused = sorted(set(reg.references) - used)
    for r in unused:
        problems.append(f"seeds/references.toml: reference '{r}' is not used by any claim or parameter; cite it or remove it.")
    if with_checks:
        from .validation import checks

        registered = checks()
        for c in reg.claims.values():
            if c.check and c.check not in registered:
                problems.append(f"seeds/claims.toml: claim '{c.id}' names check '{c.check}', which does not exist.")
        covering: dict[str, set[str]] = {}
        for chk in registered.values():
            for pid in chk.depends:
                if pid not in params:
                    problems.append(f"check '{chk.name}' depends on {pid}, which is not a parameter in models/.")
            for name in chk.studies:
                if not (root / "models" / "scenarios" / "studies" / f"{name}.toml").is_file():
                    problems.append(f"check '{chk.name}' runs study '{name}', which is not in models/scenarios/studies/.")
            for rid in chk.references:
                if rid not in reg.references:
                    problems.append(f"check '{chk.name}' cites reference '{rid}', which is not in seeds/references.toml.")
            for cid in chk.claims:
                if cid not in reg.claims:
                    problems.append(f"check '{chk.name}' names claim '{cid}', which is not in seeds/claims.toml.")
                covering.setdefault(cid, set()).add(chk.name)
        for cid, names in sorted(covering.items()):
            c = reg.claims.get(cid)
            if c is not None and c.check not in names:
                problems.append(
                    f"seeds/claims.toml: claim '{cid}' is tested by check {sorted(names)[0]!r} but its record says "
                    f"check = {c.check!r}; set check = \"{sorted(names)[0]}\"."
                )
    for c in reg.claims.values():
        listed = set(c.calibrates)
        citing = {pid for pid, sources in params.items() if c.id in sources and not pid.startswith("scenarios/")}
        for pid in sorted(citing - listed):
            problems.append(f"seeds/claims.toml: parameter {pid} cites claim '{c.id}', so the claim calibrates it; "
                            f"add it to the claim's `calibrates`.")
        for pid in sorted(listed - citing):
            if pid not in params:
                problems.append(f"seeds/claims.toml: claim '{c.id}' calibrates {pid}, which is not a parameter in models/.")
    seeds = shared_seeds_dir(root)
    if seeds is not None:
        lengths: dict[str, int] = {}
        for c in reg.claims.values():
            f = seeds / c.seed
            if c.seed not in lengths:
                lengths[c.seed] = len(f.read_text(encoding="utf-8").splitlines()) if f.is_file() else -1
            n = lengths[c.seed]
            if n < 0:
                problems.append(f"seeds/claims.toml: claim '{c.id}' names seed file '{c.seed}', which is not in {seeds}.")
            elif c.lines[1] > n:
                problems.append(f"seeds/claims.toml: claim '{c.id}' has lines {c.lines[0]}-{c.lines[1]} but {c.seed} has {n} lines.")
    return problems


def _check_methods(root: Path, reg: Registry, used: set[str]) -> list[str]:
    """models/methods.toml: every method's implementation exists and its references resolve."""
    import importlib

    path = root / "models" / "methods.toml"
    if not path.is_file():
        return []
    out = []
    for rec in load_toml(path).get("method", []):
        mid = rec.get("id", "?")
        target = rec.get("implemented_in", "")
        mod_name, _, attr = target.rpartition(".")
        try:
            obj = importlib.import_module(mod_name)
            for part in attr.split("."):
                obj = getattr(obj, part)
        except (ImportError, AttributeError, ValueError):
            out.append(f"{path}: method '{mid}' names implementation '{target}', which does not exist.")
        for r in rec.get("references", []):
            if r not in reg.references:
                out.append(f"{path}: method '{mid}' cites unknown reference '{r}'.")
            used.add(r)
    return out

