"""Every example script and classroom notebook runs headless, and examples/README.md lists each one.

Notebooks run in a Jupyter kernel of this interpreter (nbclient) with PDSIM_HEADLESS=1, so sliders are
left out and only the fixed figures drawn; they are skipped when nbclient is not installed (the
`notebooks` extra). Each notebook is executed once per test session, with every exercise answered by
the model's own value, and the executed copy is checked: no errors, figures present, the checkers
say 'Correct' to the model's value and 'Not yet' to a wrong one, and every number quoted in the prose
in `code font` is one a cell above it printed.
"""
import functools
import json
import os
import re
import subprocess
import sys

import pytest

from .conftest import ROOT

EXAMPLES = ROOT / "examples"
SCRIPTS = sorted(p.name for p in EXAMPLES.glob("*.py"))
NOTEBOOKS = sorted(p.name for p in EXAMPLES.glob("*.ipynb"))

ANSWER = re.compile(r"^answer_(\d+) = None$", re.M)
#: imports a notebook may not use: private modules, and the validation internals
PRIVATE = re.compile(r"(from|import)\s+pdsim(\.\w+)*\.(_\w+|checks)\b")


def cells_of(name):
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))["cells"]


def source(cell):
    return "".join(cell["source"])


def test_readme_lists_every_example():
    text = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    for name in SCRIPTS + NOTEBOOKS:
        assert f"({name})" in text, f"examples/README.md does not link {name}"
    assert len(NOTEBOOKS) >= 5 and len(SCRIPTS) >= 3


def test_readme_command_needs_only_the_notebooks_extra():
    """The README's command to run a notebook uses a tool the `notebooks` extra installs."""
    import tomllib

    text = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    names = {re.split(r"[<>=\[ ]", r)[0] for r in extra["notebooks"]}
    assert "jupyter nbconvert" not in text or "nbconvert" in names
    if "jupyter execute" in text:
        assert "nbclient" in names  # nbclient installs the `jupyter execute` command
    if "jupyter lab" in text or "jupyter notebook" in text:
        assert names & {"jupyterlab", "notebook"}


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_structure(name):
    """Objectives first; questions, exercises with checkers, and a case story last; sliders that update on
    release with a fixed fallback; only public imports; committed without outputs."""
    cells = cells_of(name)
    first, last = source(cells[0]), source(cells[-1])
    assert cells[0]["cell_type"] == "markdown" and "Learning objectives" in first
    assert cells[-1]["cell_type"] == "markdown" and last.startswith("## Case story")
    headings = [source(c) for c in cells if c["cell_type"] == "markdown"]
    assert any("## Questions" in h for h in headings) and any(h.startswith("## Exercises") for h in headings)
    assert any("Assumption" in h for h in headings)
    code = "\n".join(source(c) for c in cells if c["cell_type"] == "code")
    assert "PDSIM_HEADLESS" in code and "except ImportError" in code
    assert "plt.show" not in code
    assert not PRIVATE.search(code), PRIVATE.search(code).group(0)
    # sliders: every interact goes through slider(), a SelectionSlider of round values with continuous_update=False
    assert "continuous_update=False" in code
    assert not re.search(r"\b(Float|Int)(Log)?Slider\(", code)
    for call in re.findall(r"widgets\.interact\((.*?)\)\n", code, re.S):
        assert "slider(" in call
    answers = ANSWER.findall(code)
    assert len(answers) >= 3, "each notebook has at least three exercises"
    for k in answers:
        assert f"check(answer_{k}, expected_{k}" in code
    keys = [c for c in cells if c["cell_type"] == "code" and "exercise-key" in c["metadata"].get("tags", [])]
    assert keys and all(c["metadata"]["jupyter"]["source_hidden"] for c in keys)
    assert all(not c.get("outputs") for c in cells if c["cell_type"] == "code"), "commit notebooks without outputs"


@functools.lru_cache(maxsize=None)
def executed(name):
    """The notebook run headless with every exercise answered by the model's value, plus one cell that
    gives a wrong answer; returns the executed notebook."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.read(EXAMPLES / name, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = ANSWER.sub(lambda m: f"answer_{m.group(1)} = expected_{m.group(1)}", cell.source)
    nb.cells.append(nbformat.v4.new_code_cell("print('WRONG:', check(expected_1 * 1.5, expected_1))"))
    env = {"PDSIM_HEADLESS": "1", "MPLBACKEND": "Agg",
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                         resources={"metadata": {"path": str(EXAMPLES)}})
        client.execute()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return nb


def text_outputs(cell):
    out = []
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream":
            out.append(o["text"])
        elif o.get("output_type") in ("display_data", "execute_result"):
            out.append(o.get("data", {}).get("text/plain", ""))
    return "".join(out)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_executes(name):
    nb = executed(name)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors[0].get("evalue") if errors else ""
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") in ("display_data", "execute_result") and "image/png" in o.get("data", {})]
    assert len(images) >= 3, f"{name} shows only {len(images)} figures headless"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_exercise_checkers_tell_right_from_wrong(name):
    nb = executed(name)
    answered = [c for c in nb.cells if c.cell_type == "code" and re.search(r"^answer_\d+ = expected_", c.source, re.M)]
    assert len(answered) >= 3
    for cell in answered:
        assert text_outputs(cell).startswith("Correct:"), cell.source
    wrong = text_outputs(nb.cells[-1])
    assert "Not yet:" in wrong and "50% above" in wrong and "WRONG: False" in wrong


def _numbers_in(text):
    spans = re.findall(r"`([^`\n]*)`", re.sub(r"```.*?```", " ", text, flags=re.S))  # code spans, left to right
    return [sp for sp in spans if re.search(r"\d", sp)]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_prose_numbers_come_from_cells(name):
    """Every number the prose quotes in `code font` appears, as printed, in an output above it; so a model
    change that moves the number fails here instead of leaving the text wrong."""
    nb = executed(name)
    seen = ""
    quoted = 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            seen += text_outputs(cell) + "\n"
            continue
        for span in _numbers_in(cell.source):
            if span.startswith(("pdsim ", "models/")) or "(" in span or "=" in span or "[" in span:
                continue  # a command, a path or code, not a number
            quoted += 1
            pattern = r"(?<![\d.])" + re.escape(span) + r"(?![\d])"
            assert re.search(pattern, seen), f"{name}: the prose quotes `{span}`, which no cell above printed"
    assert quoted >= 2, f"{name}: the prose quotes no computed number"


#: a model-derived quantity in prose: a number with a concentration or percentage unit
MODEL_NUMBER = re.compile(r"(?<![\w.])\d[\d.,]*\s?(nM|µM|ng/mL|%)")
#: a sentence that cites its number (a year or a label), or states it as an assumption
CITED = re.compile(r"\b(19|20)\d\d\b|assum|SmPC|prescribing", re.I)
#: numbers the prose sets rather than reports: a question's premise, an input, the checker's tolerance
INPUTS = ("from 10 % to 90 %", "= 100 nM,", "after 80 % of the receptors", "70 % of MOR", "with 3 nM naloxone",
          "about 5 % heavier", "within 10 %", "(20 % for exercise 3)", "needed for 30 % block")


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_uncited_prose_numbers_are_quoted_from_cells(name):
    """A concentration or percentage in the prose is either quoted from a cell (`code font`), or sits in a
    sentence that cites its source, or is one of the inputs listed in INPUTS; no bare model numbers."""
    problems = []
    for cell in cells_of(name):
        if cell["cell_type"] != "markdown":
            continue
        text = re.sub(r"`[^`]*`|\$\$.*?\$\$|\$[^$]*\$", " ", source(cell), flags=re.S)
        for phrase in INPUTS:
            text = text.replace(phrase, " ")
        for sentence in re.split(r"(?<!\bal)(?<!e\.g)(?<=[.!?])\s+(?=[A-Z*(])|\n", text):
            if MODEL_NUMBER.search(sentence) and not CITED.search(sentence):
                problems.append(sentence.strip())
    assert not problems, f"{name}: numbers without a source or a cell: {problems}"


@pytest.mark.parametrize("name", SCRIPTS)
def test_script_writes_its_figure(name, tmp_path):
    out = tmp_path / "figure.png"
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, str(EXAMPLES / name), str(out)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {out}" in proc.stdout


@pytest.mark.parametrize("name", SCRIPTS)
def test_script_uses_the_public_interface(name):
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    assert not PRIVATE.search(text), PRIVATE.search(text).group(0)
