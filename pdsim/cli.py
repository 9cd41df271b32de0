"""The `pdsim` command: demo, run, list, sources, check, validate, pk, report.

Exit status: 0 success, 1 a failed check, 2 bad input (one line on stderr, no traceback).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .errors import PdsimError

EXAMPLES = """examples:
  pdsim demo --out pdsim-demo
  pdsim run models/scenarios/tianeptine_therapeutic_vs_misuse.toml --out out/
  pdsim list drugs
  pdsim pk tianeptine --dose "12.5 mg" --every "8 h" --days 7 --plot tianeptine.png
  pdsim pk tianeptine --dose "12.5 mg" --unit ng/mL
  pdsim sources tianeptine --format markdown
  pdsim check
  pdsim validate --out validation/
"""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pdsim",
        description="Pharmacodynamic simulation: what a dose does at its targets and downstream, with sources.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"pdsim {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    d = sub.add_parser("demo", help="the flagship comparison: tianeptine vs amitriptyline vs escitalopram")
    d.add_argument("--out", default="pdsim-demo", help="output folder (default ./pdsim-demo)")

    r = sub.add_parser("run", help="run a scenario file: results.csv, sources.csv, notes.txt (assumptions applied) and figures")
    r.add_argument("scenario", help="a scenario .toml file or a name from `pdsim list scenarios`")
    r.add_argument("--out", default=None, help="output folder (default ./pdsim-out/<scenario>)")
    r.add_argument("--no-plots", action="store_true", help="write tables only")
    r.add_argument("--variables", default=None,
                   help="comma-separated variables or prefixes for results.csv, e.g. 'plasma,occupancy.MOR' "
                        "(default: all; a population's full table can run to hundreds of MB)")

    ls = sub.add_parser("list", help="list drugs, targets, systems or scenarios")
    ls.add_argument("what", choices=["drugs", "targets", "systems", "scenarios", "checks"],
                    help="what to list: drugs, targets, systems, scenarios (with their descriptions) or checks")

    s = sub.add_parser("sources", help="every parameter of a drug/target/system/scenario with its source")
    s.add_argument("name", help="a drug, target, system or scenario name (see `pdsim list ...`)")
    s.add_argument("--format", choices=["table", "csv", "markdown"], default="table",
                   help="output format (default: a plain-text table)")

    sub.add_parser("check", help="exit 1 if any parameter lacks a resolvable source (walks models/ and seeds/)")

    v = sub.add_parser("validate", help="run the claims-as-checks and write report.md and report.csv")
    v.add_argument("--out", default="pdsim-validation", help="output folder (default ./pdsim-validation)")

    k = sub.add_parser("pk", help="PK summary of a regimen: Cmax, Cmin, Tmax, AUC, half-life, accumulation")
    k.add_argument("drug", help="a drug name from `pdsim list drugs`, or a drug .toml file")
    k.add_argument("--dose", required=True, help="e.g. '12.5 mg' or '10 mg/kg' (with --body-weight)")
    k.add_argument("--every", default=None, help="dosing interval, e.g. '8 h' (omit for one dose)")
    k.add_argument("--days", type=float, default=7.0, help="how long to dose and simulate (default 7)")
    k.add_argument("--route", default="oral", help="oral (default), iv_bolus, iv_infusion, ip or sc")
    k.add_argument("--species", default="human", help="species whose PK parameters to use (default human)")
    k.add_argument("--body-weight", default=None, help="e.g. '70 kg' (for mg/kg doses)")
    k.add_argument("--unit", default=None,
                   help="concentration unit of the output, molar or mass per volume, e.g. 'nM', 'uM', 'ng/mL' "
                        "(default: nM with ng/mL beside it)")
    k.add_argument("--plot", default=None, help="write a concentration-time PNG here")

    rp = sub.add_parser("report", help="one self-contained HTML page for a scenario")
    rp.add_argument("scenario", help="a scenario .toml file or a name from `pdsim list scenarios`")
    rp.add_argument("--out", default="pdsim-report", help="output folder (default ./pdsim-report)")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        status = int(_dispatch(args) or 0)
        sys.stdout.flush()  # inside the try: a reader that closed the pipe early is handled below
        return status
    except BrokenPipeError:
        # the reader went away (e.g. `pdsim pk ... | head`): stop quietly, as other Unix tools do
        _silence_stdout()
        return 141
    except PdsimError as exc:
        print(f"pdsim {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("pdsim: interrupted", file=sys.stderr)
        return 130


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that Python's final flush does not raise on the closed pipe again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout without a file descriptor (e.g. captured): nothing to redirect
        pass


def _dispatch(args) -> int:
    cmd = args.command
    if cmd == "list":
        return _list(args.what)
    if cmd == "sources":
        from .report import format_table, sources

        sys.stdout.write(format_table(sources(args.name), args.format))
        return 0
    if cmd == "check":
        from .audit import check_tree

        problems = check_tree()
        for p in problems:
            print(p, file=sys.stderr)
        if problems:
            print(f"pdsim check: {len(problems)} problem(s).", file=sys.stderr)
            return 1
        from .catalog import registry

        reg = registry()
        print(f"pdsim check: OK — {len(reg.claims)} claims, {len(reg.references)} references, every parameter sourced.")
        return 0
    if cmd == "validate":
        from .validation import failures, run_checks, write_report

        rows = run_checks(progress=sys.stderr.isatty())
        csv_path, md_path = write_report(rows, Path(args.out))
        counts = {}
        for r in rows:
            counts[r.verdict] = counts.get(r.verdict, 0) + 1
        print(f"wrote {md_path} and {csv_path}: " + ", ".join(f"{n} {v}" for v, n in counts.items()))
        bad = failures(rows)
        for r in bad:
            print(f"FAILED {r.check} ({r.claim}): expected {r.expected}; simulated {r.simulated}", file=sys.stderr)
        return 1 if bad else 0
    if cmd == "pk":
        return _pk(args)
    if cmd == "run":
        return _run(args)
    if cmd == "demo":
        from .demo import run_demo

        for path in run_demo(Path(args.out)):
            print(f"wrote {path}")
        return 0
    if cmd == "report":
        from .html_report import write_html_report

        print(f"wrote {write_html_report(args.scenario, Path(args.out), progress=sys.stderr.isatty())}")
        return 0
    raise AssertionError(cmd)  # argparse restricts the choices


#: results.csv larger than this (bytes, estimated) is announced on stderr before it is written
CSV_WARN_BYTES = 50e6


def _run(args) -> int:
    """`pdsim run`: simulate, announce a large results.csv with its estimated size, write the outputs."""
    import dataclasses

    from .runner import default_out_dir, figures_for, simulate_scenario, write_outputs

    sc, result = simulate_scenario(args.scenario, progress=sys.stderr.isatty())
    figures = None if args.no_plots else figures_for(result)
    table = result
    if args.variables:
        wanted = [w.strip() for w in args.variables.split(",") if w.strip()]
        keep = [v for v in result.variables if any(v == w or v.startswith(w + ".") for w in wanted)]
        if not keep:
            from .errors import UnknownNameError, suggest

            raise UnknownNameError(f"`--variables` {args.variables!r} matches no variable of this result."
                                   f"{suggest(wanted[0], result.variables)} Known prefixes: plasma, free, occupancy, "
                                   f"signal, effect; `pdsim run` without --variables writes them all.")
        table = dataclasses.replace(result, data={k: result.data[k] for k in keep},
                                    units={k: result.units[k] for k in keep if k in result.units})
    rows, size = csv_estimate(table)
    if size > CSV_WARN_BYTES:
        print(f"pdsim run: results.csv will hold {rows:,} rows, about {size / 1e6:,.0f} MB "
              f"({len(table.arms)} arms x {table.n_subjects} subjects x {len(table.time_h)} times x "
              f"{len(table.data)} variables); --variables writes fewer.", file=sys.stderr)
    out_dir = Path(args.out) if args.out is not None else default_out_dir(sc)
    for path in write_outputs(table, out_dir, plots=not args.no_plots, figures=figures):
        print(f"wrote {path}")
    return 0


def csv_estimate(result) -> tuple[int, float]:
    """(rows, bytes) of ``result.to_csv``: the row count exactly, the size from a sample of rows."""
    rows = int(sum(arr.size for arr in result.data.values()))
    if rows == 0:
        return 0, 0.0
    first = result.variables[0]
    sample = result.to_dataframe([first]).head(2000)
    per_row = len(sample.to_csv(index=False).encode()) / max(len(sample), 1)
    return rows, rows * per_row


def _list(what: str) -> int:
    from . import catalog

    if what == "checks":
        from .validation import checks

        for name, chk in sorted(checks().items()):
            print(f"{name:40s} {', '.join(chk.claims)}")
        return 0
    names = {"drugs": catalog.drugs, "targets": catalog.targets, "systems": catalog.systems,
             "scenarios": catalog.scenarios}[what]()
    width = max((len(n) for n in names), default=0) + 2
    for n in names:
        desc = ""
        try:
            if what == "scenarios":
                desc = _scenario_description(n)
            elif what == "drugs":
                desc = catalog.drug(n).description
            elif what == "targets":
                desc = catalog.target(n).description
            elif what == "systems":
                desc = catalog.system(n).description
        except PdsimError as exc:
            desc = f"(does not load: {exc})"
        print(f"{n:{width}s}{desc}")
    return 0


def _scenario_description(name: str) -> str:
    """A scenario file's ``description`` (read without building the scenario, so the list stays quick)."""
    import tomllib

    from .catalog import scenario_path
    from .errors import ModelFileError

    try:
        with open(scenario_path(name), "rb") as fh:
            return str(tomllib.load(fh).get("description", ""))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ModelFileError(f"scenario '{name}' could not be read: {exc}") from exc


def _pk(args) -> int:
    import numpy as np

    from .catalog import drug
    from .dosing import Regimen
    from .pk import pk_summary
    from .units import as_float

    dr = drug(args.drug)
    if args.unit:  # checked before anything is printed
        from .units import concentration_scale

        scale = concentration_scale(args.unit, dr.molar_mass.quantity, name="--unit")
    days = args.days
    if not (days > 0):
        from .errors import InputError

        raise InputError(f"`--days` must be greater than zero (got {days}); write e.g. --days 7.")
    bw = args.body_weight
    if args.every:
        every_h = as_float(args.every, "h", "--every", positive=True)
        count = max(1, int(np.floor(days * 24 / every_h + 1e-9)))
        reg = Regimen.repeated(dose=args.dose, every=args.every, count=count, route=args.route, body_weight=bw)
    else:
        reg = Regimen.single(dose=args.dose, route=args.route, body_weight=bw)
    times = np.linspace(0, days * 24, int(days * 24 * 10) + 1)
    summ = pk_summary(dr, reg, times, species=args.species, body_weight=bw)
    print(f"{dr.display_name} ({args.species}), {args.dose}" + (f" every {args.every}" if args.every else " once")
          + f", {days:g} days")
    rows = summ.items()
    if args.unit:
        u = args.unit
        conc = {"Cmax": summ.cmax, "Cmin (last interval)": summ.cmin,
                "AUC (trapezoid over grid)": summ.auc, "AUC 0-inf (exact, all doses)": summ.auc_inf}
        rows = [(k, f"{conc[k].magnitude * scale:.4g} {u}" + ("·h" if k.startswith("AUC") else "")
                 if k in conc else v) for k, v in rows]
    for k, v in rows:
        print(f"  {k:28s} {v}")
    if args.plot:
        from .plot import plot_pk

        fig = plot_pk(dr, reg, times, species=args.species, body_weight=bw, unit=args.unit)
        fig.savefig(args.plot, dpi=150, bbox_inches="tight")
        print(f"wrote {args.plot}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
