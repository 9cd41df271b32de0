"""The command line as a teacher meets it: quick help, descriptions, help on every option, quiet pipes,
a warning before a large results.csv, and PK in mass units."""
import os
import subprocess
import sys
import tomllib

import pytest

from pdsim import catalog, cli

from .conftest import ROOT

ENV = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")


def test_help_imports_no_numerical_library():
    """`pdsim --help` loads only the standard library: the engine (numpy, pandas, numba, pint, scipy,
    matplotlib) is imported when a command needs it (pdsim/__init__ is lazy, PEP 562)."""
    code = ("import sys; import pdsim.cli as c\n"
            "try:\n    c.main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('numpy', 'pandas', 'numba', 'pint', 'scipy', 'matplotlib') if m in sys.modules]\n"
            "print('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code], env=ENV, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "HEAVY []" in out.stdout


def test_public_names_still_resolve_after_submodule_imports():
    import pdsim
    import pdsim.panel  # noqa: F401  (the submodule of the same name must not replace the function)
    import pdsim.simulate  # noqa: F401

    assert callable(pdsim.simulate) and pdsim.simulate.__name__ == "simulate"
    assert callable(pdsim.panel) and pdsim.panel.__name__ == "panel"
    assert set(pdsim.__all__) <= set(dir(pdsim))
    for name in pdsim.__all__:
        assert getattr(pdsim, name) is not None
    with pytest.raises(AttributeError):
        pdsim.no_such_name  # noqa: B018


def test_every_option_has_help():
    parser = cli._parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, p in sub.choices.items():
        for action in p._actions:
            if action.dest == "help":
                continue
            assert action.help, f"pdsim {name}: {action.option_strings or action.dest} has no help"


def test_list_scenarios_shows_descriptions(capsys):
    assert cli.main(["list", "scenarios"]) == 0
    out = capsys.readouterr().out.splitlines()
    names = catalog.scenarios()
    assert len(out) == len(names)
    for name, line in zip(names, out):
        with open(catalog.scenario_path(name), "rb") as fh:
            desc = tomllib.load(fh)["description"]
        assert line.split()[0] == name and line.rstrip().endswith(desc)


def test_closed_pipe_exits_quietly():
    """`pdsim pk ... | head`: the reader closes the pipe before pdsim writes; no traceback on stderr."""
    proc = subprocess.Popen([sys.executable, "-m", "pdsim.cli", "pk", "tianeptine", "--dose", "12.5 mg", "--days", "1"],
                            env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader has gone before the first line is written
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
    assert proc.returncode == 141


def test_pk_in_ng_per_ml(capsys):
    """Cmax in ng/mL is Cmax in nM times the molar mass / 1000 (tianeptine 436.95 g/mol)."""
    assert cli.main(["pk", "tianeptine", "--dose", "12.5 mg", "--days", "1"]) == 0
    molar = capsys.readouterr().out
    assert cli.main(["pk", "tianeptine", "--dose", "12.5 mg", "--days", "1", "--unit", "ng/mL"]) == 0
    mass = capsys.readouterr().out
    cmax_nm = float(next(ln for ln in molar.splitlines() if "Cmax" in ln).split()[1])
    cmax_ng = next(ln for ln in mass.splitlines() if "Cmax" in ln).split()
    assert cmax_ng[2] == "ng/mL"
    mm = catalog.drug("tianeptine").molar_mass.quantity.to("g/mol").magnitude
    assert float(cmax_ng[1]) == pytest.approx(cmax_nm * mm / 1e3, rel=1e-3)
    assert "ng/mL·h" in next(ln for ln in mass.splitlines() if "AUC 0-inf" in ln)


def test_pk_bad_unit_is_one_clear_error(capsys):
    assert cli.main(["pk", "tianeptine", "--dose", "12.5 mg", "--unit", "kg"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "`--unit`" in err and "ng/mL" in err


def test_large_results_csv_is_announced_and_variables_limit_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli, "CSV_WARN_BYTES", 0.0)  # every table counts as large here
    out = tmp_path / "run"
    assert cli.main(["run", "mor_blockade", "--out", str(out), "--no-plots", "--variables", "occupancy.MOR"]) == 0
    err = capsys.readouterr().err
    assert "results.csv will hold" in err and "MB" in err
    import pandas as pd

    table = pd.read_csv(out / "results.csv")
    assert set(table["variable"]) == {"occupancy.MOR", "occupancy.MOR.naloxone", "occupancy.MOR.tianeptine"}
    rows, size = cli.csv_estimate(__import__("pdsim").simulate(__import__("pdsim").load_scenario("mor_blockade")))
    assert rows > len(table)


def test_csv_estimate_matches_the_file(tmp_path):
    import dataclasses

    import pdsim

    r = pdsim.simulate(pdsim.load_scenario("mor_blockade"))
    r = dataclasses.replace(r, data={k: r.data[k] for k in ("plasma.tianeptine", "occupancy.MOR")})
    rows, size = cli.csv_estimate(r)
    path = r.to_csv(tmp_path / "r.csv")
    assert rows == sum(1 for _ in open(path)) - 1
    assert size == pytest.approx(path.stat().st_size, rel=0.25)


def test_unknown_variables_prefix_is_one_clear_error(tmp_path, capsys):
    assert cli.main(["run", "mor_blockade", "--out", str(tmp_path), "--no-plots", "--variables", "ocupancy"]) == 2
    assert "`--variables`" in capsys.readouterr().err
