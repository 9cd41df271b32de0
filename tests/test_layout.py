"""Tests of the package's layout, read from the source with `ast`: no import cycle between pdsim's
modules, and no module reaching into another module's private names."""
from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "pdsim"


def _modules(pkg: Path = PKG) -> dict[str, Path]:
    """Every module of the package by dotted name (a package by the name of its ``__init__``)."""
    out = {}
    for path in sorted(pkg.rglob("*.py")):
        parts = list(path.relative_to(pkg.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _is_package(mod: str, mods: dict[str, Path]) -> bool:
    return mods[mod].name == "__init__.py"


def _base(mod: str, node: ast.ImportFrom, mods: dict[str, Path]) -> str:
    """The absolute module a ``from ... import`` names."""
    if not node.level:
        return node.module or ""
    pkg = mod if _is_package(mod, mods) else mod.rsplit(".", 1)[0]
    for _ in range(node.level - 1):
        pkg = pkg.rsplit(".", 1)[0]
    return f"{pkg}.{node.module}" if node.module else pkg


def _imports(mod: str, mods: dict[str, Path]) -> list[tuple[str, str | None, int]]:
    """(imported module, imported name or None, line) for every import in ``mod``, at any depth
    (imports inside functions count: they run whenever the function does). ``from P import n``
    imports module ``P.n`` when that is a module, else name ``n`` of module ``P``."""
    tree = ast.parse(mods[mod].read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, None, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _base(mod, node, mods)
            for a in node.names:
                sub = f"{base}.{a.name}"
                out.append((sub, None, node.lineno) if sub in mods else (base, a.name, node.lineno))
    root = next(iter(mods)).split(".")[0]
    return [(m, n, line) for m, n, line in out if m == root or m.startswith(root + ".")]


def _graph(pkg: Path = PKG) -> dict[str, set[str]]:
    mods = _modules(pkg)
    return {m: {t for t, _, _ in _imports(m, mods) if t in mods and t != m} for m in mods}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _owner(mod: str) -> str:
    """The package a private module belongs to: ``pdsim.targets`` for ``pdsim.targets._base``."""
    return mod.rsplit(".", 1)[0]


def private_uses(pkg: Path = PKG) -> list[str]:
    """Every place a module uses another module's private name: ``from .x import _y``, ``x._y`` on an
    imported pdsim module, or a private module imported from outside the package that holds it."""
    mods = _modules(pkg)
    found = []
    for mod, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        bound: dict[str, str] = {}  # local name -> pdsim module it is bound to
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                base = _base(mod, node, mods)
                for a in node.names:
                    sub = f"{base}.{a.name}"
                    if sub in mods:
                        bound[a.asname or a.name] = sub
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name in mods and a.asname:
                        bound[a.asname] = a.name
        for target, name, line in _imports(mod, mods):
            if target not in mods or target == mod:
                continue
            leaf = target.rsplit(".", 1)[-1]
            if _private(leaf) and not (mod + ".").startswith(_owner(target) + "."):
                found.append(f"{mod}:{line}: imports private module {target}")
            if name is not None and _private(name):
                found.append(f"{mod}:{line}: imports private name {name} from {target}")
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in bound
                    and _private(node.attr) and bound[node.value.id] != mod):
                found.append(f"{mod}:{node.lineno}: uses private name {bound[node.value.id]}.{node.attr}")
    return sorted(set(found))


def test_no_import_cycle_between_pdsim_modules():
    """Data flows one way: no module imports (at any depth, inside functions too) a module that
    imports it back, directly or through others."""
    assert _cycles(_graph()) == []


def test_no_private_name_is_used_across_modules():
    """A leading underscore means "this module's own": no other module imports it or reads it as an
    attribute. A private module may be imported only from inside the package that holds it."""
    assert private_uses() == []


def test_the_checks_can_fail(tmp_path):
    """Planted in a throw-away package: a cycle through an import inside a function, a private name
    imported and one read as an attribute, a private module imported from outside its package; and
    what is allowed (a private module used inside its own package) is not reported."""
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    files = {
        "__init__.py": "",
        "a.py": "from .b import thing\n",
        "b.py": "def thing():\n    from . import c\n    return c\n",
        "c.py": "from .a import thing as _t\nfrom .b import _hidden\nfrom . import b\nx = b._other\n",
        "d.py": "from .sub import _impl\n",
        "sub/__init__.py": "from ._impl import f\n",
        "sub/_impl.py": "def f():\n    return 1\n",
    }
    for name, text in files.items():
        (pkg / name).write_text(text)
    assert _cycles(_graph(pkg)) == [["pkg.a", "pkg.b", "pkg.c"]]
    found = private_uses(pkg)
    assert [f.split(": ", 1)[1] for f in found] == [
        "imports private name _hidden from pkg.b", "uses private name pkg.b._other",
        "imports private module pkg.sub._impl"]
