"""The `pdsim` command: exit codes and one-line messages for bad input, and the run/report/demo outputs.

Called through pdsim.cli.main([...]) with stdout and stderr captured (no subprocess).
"""
from pathlib import Path


from pdsim.cli import main

GOOD = """name = "two days of tianeptine"
duration = "2 day"
output_every = "1 h"
site = "free"

[[arms]]
label = "12.5 mg three times daily"
  [[arms.doses]]
  drug = "tianeptine"
  dose = "12.5 mg"
  every = "8 h"
  count = 6
"""


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path, text, name="scenario.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def one_line(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1, err  # one clear line, no traceback
    return lines[0]


def test_no_command_prints_help_and_exits_2(capsys):
    code, out, _ = run(capsys)
    assert code == 2 and "demo" in out and "run" in out


def test_missing_scenario_file(capsys, tmp_path):
    code, _, err = run(capsys, "run", tmp_path / "missing.toml", "--out", tmp_path / "o")
    assert code == 2
    line = one_line(err)
    assert line.startswith("pdsim run: error:") and "missing.toml" in line
    assert not (tmp_path / "o").exists()


def test_unknown_drug_suggests_the_close_name(capsys, tmp_path):
    code, _, err = run(capsys, "pk", "tianeptin", "--dose", "12.5 mg")
    assert code == 2
    assert "Unknown drug 'tianeptin'. Did you mean 'tianeptine'?" in one_line(err)
    path = write(tmp_path, GOOD.replace('drug = "tianeptine"', 'drug = "amitryptiline"'))
    code, _, err = run(capsys, "run", path, "--out", tmp_path / "o")
    assert code == 2
    line = one_line(err)
    assert f"{path}:9:" in line and "Did you mean 'amitriptyline'?" in line


def test_malformed_scenario_names_file_and_line(capsys, tmp_path):
    path = write(tmp_path, GOOD.replace('every = "8 h"', 'evry = "8 h"'))
    code, _, err = run(capsys, "run", path)
    assert code == 2
    line = one_line(err)
    assert f"{path}:11:" in line and "Did you mean 'every'?" in line


def test_toml_syntax_error_names_the_line(capsys, tmp_path):
    path = write(tmp_path, GOOD.replace('duration = "2 day"', 'duration = "2 day'))
    code, _, err = run(capsys, "run", path)
    assert code == 2
    line = one_line(err)
    assert str(path) in line and "line 2" in line


def test_dose_in_millilitres_is_refused(capsys, tmp_path):
    path = write(tmp_path, GOOD.replace('dose = "12.5 mg"', 'dose = "5 mL"'))
    code, _, err = run(capsys, "run", path)
    assert code == 2
    line = one_line(err)
    assert f"{path}:10:" in line and "5 ml" in line.lower() and "'12.5 mg'" in line
    code, _, err = run(capsys, "pk", "tianeptine", "--dose", "5 mL")
    assert code == 2 and "must be a mass" in one_line(err)


def test_report_of_missing_scenario(capsys, tmp_path):
    code, _, err = run(capsys, "report", tmp_path / "nope.toml", "--out", tmp_path / "r")
    assert code == 2 and "nope.toml" in one_line(err)


def test_run_writes_tables_and_figures(capsys, tmp_path):
    path = write(tmp_path, GOOD)
    code, out, err = run(capsys, "run", path, "--out", tmp_path / "out")
    assert code == 0, err
    written = [Path(line.removeprefix("wrote ")) for line in out.splitlines()]
    names = {p.name for p in written}
    assert {"results.csv", "sources.csv", "concentrations.png", "occupancy.png"} <= names
    for p in written:
        assert p.is_file() and p.stat().st_size > 0
    import pandas as pd

    res = pd.read_csv(tmp_path / "out" / "results.csv")
    assert list(res.columns) == ["arm", "subject", "time_h", "variable", "value", "unit"]
    assert "plasma.tianeptine" in set(res["variable"]) and "occupancy.MOR" in set(res["variable"])
    assert set(res["time_h"]) >= {0.0, 48.0}
    src = pd.read_csv(tmp_path / "out" / "sources.csv")
    assert src["sources"].notna().all() and len(src) > 3


def test_run_without_plots(capsys, tmp_path):
    code, out, _ = run(capsys, "run", write(tmp_path, GOOD), "--out", tmp_path / "t", "--no-plots")
    assert code == 0
    # notes.txt: the engine names the targets driven by in-vitro constants (no PET curve), an assumption
    assert sorted(Path(line.removeprefix("wrote ")).name for line in out.splitlines()) == ["notes.txt", "results.csv",
                                                                                          "sources.csv"]


def test_report_is_one_self_contained_page(capsys, tmp_path):
    code, out, err = run(capsys, "report", write(tmp_path, GOOD), "--out", tmp_path / "rep")
    assert code == 0, err
    page = Path(out.strip().removeprefix("wrote ")).read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert page.count('src="data:image/png;base64,') >= 3
    assert "src=\"http" not in page and "<link" not in page  # nothing fetched from elsewhere
    for section in ("Arms", "Figures", "Parameters and sources", "Claims checked"):
        assert f"<h2>{section}</h2>" in page
    assert "royer1988" in page  # a tianeptine PK source in the parameter table


def test_pk_plot_written(capsys, tmp_path):
    png = tmp_path / "pk.png"
    code, out, err = run(capsys, "pk", "tianeptine", "--dose", "12.5 mg", "--every", "8 h", "--days", "2",
                         "--plot", png)
    assert code == 0, err
    assert png.read_bytes()[:4] == b"\x89PNG" and f"wrote {png}" in out


def test_demo_command_writes_the_promised_files(capsys, tmp_path):
    code, out, err = run(capsys, "demo", "--out", tmp_path / "demo")
    assert code == 0, err
    names = {Path(line.removeprefix("wrote ")).name for line in out.splitlines()}
    assert {"results.csv", "sources.csv", "concentrations.png", "occupancy.png", "receptor_profile.png",
            "side_effects.png"} <= names


def test_run_draws_downstream_states_as_daily_means(capsys, tmp_path):
    from pdsim.runner import figures_for, simulate_scenario

    text = GOOD.replace('duration = "2 day"', 'duration = "6 day"').replace('site = "free"', 'site = "free"\nsystems = ["onset"]')
    path = write(tmp_path, text)
    code, out, err = run(capsys, "run", path, "--out", tmp_path / "o")
    assert code == 0, err
    assert (tmp_path / "o" / "effects.png").is_file()
    figs = figures_for(simulate_scenario(path)[1])
    titles = [a.get_title() for a in figs["effects"].axes if a.get_visible()]
    assert titles and all(t.endswith("(24-h mean)") for t in titles)


def test_run_shows_a_progress_bar_on_a_terminal(tmp_path, capsys, monkeypatch):
    """On a terminal `pdsim run` draws a tqdm bar over arms and subject chunks on stderr; piped, none."""
    import sys

    scenario = write(tmp_path, GOOD)
    code, _, err = run(capsys, "run", scenario, "--out", tmp_path / "piped", "--no-plots")
    assert code == 0 and "chunk" not in err
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    code, out, err = run(capsys, "run", scenario, "--out", tmp_path / "tty", "--no-plots")
    assert code == 0 and "results.csv" in out
    assert "two days of tianeptine" in err and "1/1" in err and "chunk" in err


RAT_PER_KG = """name = "rat, 10 mg/kg i.p."
duration = "1 day"
output_every = "1 h"

[[arms]]
label = "tianeptine 10 mg/kg"
species = "rat"
  [[arms.doses]]
  drug = "tianeptine"
  dose = "10 mg/kg"
  route = "ip"
"""


def test_run_and_report_show_the_assumptions_the_engine_applied(capsys, tmp_path):
    """A mg/kg dose with no body weight in the arm is scaled by the species' reference weight: the
    run writes that assumption to notes.txt and the HTML report lists it (nothing applied silently)."""
    path = write(tmp_path, RAT_PER_KG)
    code, out, err = run(capsys, "run", path, "--out", tmp_path / "out", "--no-plots")
    assert code == 0, err
    notes = tmp_path / "out" / "notes.txt"
    assert f"wrote {notes}" in out
    text = notes.read_text(encoding="utf-8")
    assert "rat reference body weight, 0.25 kg" in text and "body_weight = '... kg'" in text
    from pdsim.html_report import write_html_report

    page = write_html_report(path, tmp_path / "rep", run_claims=False).read_text(encoding="utf-8")
    assert "<h2>Assumptions the engine applied</h2>" in page and "rat reference body weight" in page


def test_top_level_help_names_what_demo_and_list_do(capsys):
    """`pdsim --help` says the demo adds the antidepressant classes and that `list` also lists checks."""
    try:
        main(["--help"])
    except SystemExit as exc:  # argparse exits 0 after printing the help
        assert exc.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "with the antidepressant classes side by side" in out
    assert "list drugs, targets, systems, scenarios or checks" in out
