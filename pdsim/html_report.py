"""`pdsim report`: one self-contained HTML page for a scenario (figures, sources, claim verdicts).

Figures are embedded as base64 PNG and the style sheet is inline, so the page opens offline and can be mailed.
"""
from __future__ import annotations

import base64
import html
import io
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["write_html_report", "relevant_claims", "figure_png_base64"]

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1150px;
       color: #222; line-height: 1.45; padding: 0 1em; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
details.section { margin-top: 1.4em; border-bottom: 1px solid #ccc; }
details.section > summary { cursor: pointer; padding: 0.2em 0; }
details.section > summary h2 { display: inline; font-size: 1.35em; margin: 0; }
details.figure > summary { cursor: pointer; color: #333; font-weight: 600; }
figure { margin: 0.6em 0 1.2em 0; }
figure img { max-width: 100%; max-height: 85vh; object-fit: contain; border: 1px solid #e4e4e4; }
figcaption { color: #555; font-size: 0.9em; }
.scroll { max-height: 32em; overflow: auto; border: 1px solid #e4e4e4; margin: 0.5em 0 1em 0; }
table { border-collapse: collapse; font-size: 0.85em; width: 100%; table-layout: auto; }
th, td { border: 1px solid #ddd; padding: 4px 6px; text-align: left; vertical-align: top;
         overflow-wrap: anywhere; word-break: break-word; max-width: 28em; }
th { background: #f3f3f3; position: sticky; top: 0; } tr:nth-child(even) td { background: #fafafa; }
.verdict-reproduced { color: #006b4f; font-weight: 600; }
.verdict-not-reproduced { color: #b34700; font-weight: 600; }
.verdict-not-modelled { color: #666; }
.meta { color: #555; } code { background: #f3f3f3; padding: 0 3px; }
ol.references li { margin-bottom: 0.3em; overflow-wrap: anywhere; }
"""

_FIGURE_TEXT = {
    "concentrations": "Total plasma concentration of each drug, one line per arm that doses it.",
    "occupancy": "Fraction of each target occupied, one panel per target; where ligands compete (an agonist and its "
                 "antagonist, a drug and its metabolite) each ligand's own occupancy is drawn, with the agonist's "
                 "signal in a panel of its own.",
    "receptor_profile": "Mean occupancy over the last simulated day, arm by target; a dash marks no affinity in the model. "
                        "In an arm where an agonist and its antagonist share a target, each ligand has its own row.",
    "side_effects": "Side-effect indices: the fraction of H1, muscarinic and α1 receptors blocked (an index, not a probability).",
    "effects": "Downstream states over the whole simulation (relative to baseline where dimensionless).",
    "onset": "Antidepressant-like index and its monoamine and MOR components.",
}


def figure_png_base64(fig: Any, dpi: int = 110) -> str:
    """The figure as a base64-encoded PNG (for an ``<img src="data:image/png;base64,...">``)."""
    from ._style import style

    buf = io.BytesIO()
    with style():
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def relevant_claims(rows: list[Any], drugs: list[str]) -> list[Any]:
    """Validation rows whose claim id, check or paraphrase names one of ``drugs`` (all rows if none does)."""
    keys = [d.lower() for d in drugs]
    keep = [r for r in rows if any(k in f"{r.claim} {r.check} {r.paraphrase}".lower() for k in keys)]
    return keep or list(rows)


def _table(df: pd.DataFrame) -> str:
    """An HTML table in a box of bounded height that scrolls (long tables do not stretch the page)."""
    return '<div class="scroll">' + df.to_html(index=False, escape=True, border=0, na_rep="") + "</div>"


def _section(title: str, body: str, open_: bool = True) -> str:
    """A collapsible section (``<details>``), open or closed when the page loads."""
    return (f'<details class="section"{" open" if open_ else ""}><summary><h2>{html.escape(title)}</h2></summary>\n'
            f"{body}\n</details>")


def _references(params: dict[str, Any]) -> str:
    """The full list behind the figures' short citations: one entry per source id the parameters use."""
    from ._style import short_citation
    from .catalog import registry

    reg = registry()
    ids = list(dict.fromkeys(s for p in params.values() for s in p.sources))
    items = []
    for sid in sorted(ids, key=lambda i: short_citation(reg, i).lower()):
        short = html.escape(short_citation(reg, sid))
        if sid in reg.references:
            ref = reg.references[sid]
            full = html.escape(ref.citation())
            link = ref.url or (f"https://doi.org/{ref.doi}" if ref.doi else "")
            if link:
                full += f' <a href="{html.escape(link)}">{html.escape(link)}</a>'
        elif sid in reg.claims:
            c = reg.claims[sid]
            full = (f"claim <code>{html.escape(sid)}</code>: {html.escape(c.paraphrase)} "
                    f"(seed document {html.escape(c.seed)}, lines {c.lines[0]}–{c.lines[1]})")
        else:
            full = html.escape(sid)
        items.append(f"<li><b>{short}</b> <code>{html.escape(sid)}</code>: {full}</li>")
    return '<ol class="references">' + "".join(items) + "</ol>"


def _claims_table(rows: list[Any]) -> str:
    out = ["<table><thead><tr><th>claim</th><th>paraphrase</th><th>check</th><th>basis</th><th>expected</th>"
           "<th>simulated</th><th>verdict</th><th>reason</th><th>rerun</th></tr></thead><tbody>"]
    for r in rows:
        cls = "verdict-" + r.verdict.replace(" ", "-")
        cells = [r.claim, r.paraphrase, r.check, r.basis, r.expected, r.simulated]
        out.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells)
                   + f'<td class="{cls}">{html.escape(r.verdict)}</td><td>{html.escape(r.reason)}</td>'
                   + f'<td><code>{html.escape(r.command)}</code></td></tr>')
    out.append("</tbody></table>")
    return '<div class="scroll">' + "\n".join(out) + "</div>"


def _arms_table(sc: Any) -> str:
    rows = []
    for a in sc.arms:
        for d in a.doses:
            unit = "mg/kg" if d.per_kg else "mg"
            how = f"every {d.every:g} h × {d.count}" if d.every else "once"
            rows.append({"arm": a.label, "species": a.species, "drug": d.drug, "dose": f"{d.amount:g} {unit}",
                         "route": d.route, "schedule": how, "stress": a.stress or ""})
    return _table(pd.DataFrame(rows)) if rows else "<p>No doses.</p>"


def _title(name: str) -> str:
    """'population_tianeptine' -> 'Population: tianeptine'; 'effects_2' -> 'Effects (2)'."""
    head, _, rest = name.partition("_")
    if head == "population":
        return f"Population: {rest}"
    if head == "effects" and rest.isdigit():
        return f"Effects ({rest})"
    return name.replace("_", " ").capitalize()


def write_html_report(scenario: Any, out_dir: str | Path = "pdsim-report", run_claims: bool = True,
                      progress: bool = False) -> Path:
    """Simulate a scenario and write one self-contained HTML page; return its path.

    The page holds the scenario's arms, every figure of `pdsim.runner.figures_for` (embedded PNG),
    the parameter/source table, and the claim verdicts of `pdsim.validation.run_checks` for the
    claims that name the scenario's drugs (all claims when none does).

    Parameters
    ----------
    scenario : str, Path or Scenario
        A scenario .toml file, a name from `pdsim list scenarios`, or a `Scenario`.
    out_dir : str or Path
        Folder for ``report.html`` (created if missing).
    run_claims : bool
        Run the claim checks (the slowest part); when False the section says it was skipped.
    progress : bool
        Progress bars while simulating and checking (needs tqdm).

    Returns
    -------
    Path
        ``out_dir/report.html``.
    """
    from . import __version__
    from .runner import figures_for, simulate_scenario

    sc, result = simulate_scenario(scenario, progress=progress)
    drugs = list(dict.fromkeys(d.drug for a in sc.arms for d in a.doses))
    parts = [f"<h1>{html.escape(sc.name)}</h1>",
             f'<p class="meta">pdsim {__version__} · {date.today().isoformat()} · '
             f"{len(result.arms)} arm(s) · {result.n_subjects} subject(s) per arm · "
             f"{sc.duration / 24:g} days, output every {sc.output_every:g} h</p>"]
    if sc.description:
        parts.append(f"<p>{html.escape(sc.description)}</p>")
    parts.append(_section("Arms", _arms_table(sc)))
    figures = []
    for k, (name, fig) in enumerate(figures_for(result).items()):
        text = _FIGURE_TEXT.get(name.split("_")[0] if name.startswith("effects") else name,
                                "Population median and 90 % band." if name.startswith("population_") else "")
        # the first figures open, the rest folded: a many-arm report stays a page, not a scroll of images
        figures.append(f'<details class="figure"{" open" if k < 3 else ""}><summary>{html.escape(_title(name))}</summary>'
                       f'<figure><img alt="{html.escape(name)}" src="data:image/png;base64,{figure_png_base64(fig)}">'
                       f"<figcaption>{html.escape(text)}</figcaption></figure></details>")
    parts.append(_section("Figures", "\n".join(figures)))
    if result.notes:
        parts.append(_section("Assumptions the engine applied",
                              "<p>Not stated in the scenario file; each names how to change it.</p>"
                              "<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in result.notes) + "</ul>"))
    table = result.sources_table()
    from ._style import short_citation
    from .catalog import registry

    reg = registry()
    table["citation"] = [", ".join(dict.fromkeys(short_citation(reg, x) for x in str(s).split("; ") if x))
                         for s in table["sources"]]
    parts.append(_section("Parameters and sources",
                          "<p>Every number the simulation used, with its kind (measured, derived, assumed) and sources "
                          "(full entries under References).</p>" + _table(table), open_=False))
    parts.append(_section("References", "<p>The sources cited in the figures and the parameter table.</p>"
                          + _references(result.parameters), open_=False))
    if run_claims:
        from .validation import counts, run_checks

        rows = relevant_claims(run_checks(progress=progress), drugs)
        tally = counts(rows) if rows else {}
        claims = ("<p>" + (", ".join(f"{n} {k}" for k, n in tally.items() if n) or "No claims registered.")
                  + ". A claim that set a parameter of the model counts as <i>calibrated to</i>, not as reproduction.</p>"
                  + _claims_table(rows))
    else:
        claims = "<p>Claim checks were not run for this page (run <code>pdsim validate</code>).</p>"
    parts.append(_section("Claims checked", claims, open_=False))
    parts.append('<p class="meta">pdsim is for teaching and research scenarios; it is not clinical advice.</p>')
    page = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(sc.name)} — pdsim report</title><style>{_CSS}</style></head><body>\n"
            + "\n".join(parts) + "\n</body></html>\n")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "report.html"
    path.write_text(page, encoding="utf-8")
    return path
