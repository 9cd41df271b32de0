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

    ls = sub.add_parser("list", help="list drugs, targets, systems or scenarios")
    ls.add_argument("what", choices=["drugs", "targets", "systems", "scenarios", "checks"])

    s = sub.add_parser("sources", help="every parameter of a drug/target/system/scenario with its source")
    s.add_argument("name")
    s.add_argument("--format", choices=["table", "csv", "markdown"], default="table")

    sub.add_parser("check", help="exit 1 if any parameter lacks a resolvable source (walks models/ and seeds/)")

    v = sub.add_parser("validate", help="run the claims-as-checks and write report.md and report.csv")
    v.add_argument("--out", default="pdsim-validation", help="output folder (default ./pdsim-validation)")

    k = sub.add_parser("pk", help="PK summary of a regimen: Cmax, Cmin, Tmax, AUC, half-life, accumulation")
    k.add_argument("drug")
    k.add_argument("--dose", required=True, help="e.g. '12.5 mg' or '10 mg/kg' (with --body-weight)")
    k.add_argument("--every", default=None, help="dosing interval, e.g. '8 h' (omit for one dose)")
    k.add_argument("--days", type=float, default=7.0, help="how long to dose and simulate (default 7)")
    k.add_argument("--route", default="oral")
    k.add_argument("--species", default="human")
    k.add_argument("--body-weight", default=None, help="e.g. '70 kg' (for mg/kg doses)")
    k.add_argument("--plot", default=None, help="write a concentration-time PNG here")

    rp = sub.add_parser("report", help="one self-contained HTML page for a scenario")
    rp.add_argument("scenario")
    rp.add_argument("--out", default="pdsim-report")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(_dispatch(args) or 0)
    except PdsimError as exc:
        print(f"pdsim {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("pdsim: interrupted", file=sys.stderr)
        return 130


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
        from .runner import run_scenario

        out = run_scenario(args.scenario, args.out, plots=not args.no_plots, progress=sys.stderr.isatty())
        for path in out:
            print(f"wrote {path}")
        return 0
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


def _list(what: str) -> int:
    from . import catalog

    if what == "checks":
        from .validation import checks

        for name, chk in sorted(checks().items()):
            print(f"{name:40s} {', '.join(chk.claims)}")
        return 0
    if what == "systems":  # the names a scenario's systems = [...] takes (the engine's registry)
        from .engine.registry import systems

        for n, spec in systems().items():
            print(f"{n:30s} {spec.description} [{spec.parameters}]")
        return 0
    names = {"drugs": catalog.drugs, "targets": catalog.targets, "scenarios": catalog.scenarios}[what]()
    for n in names:
        desc = ""
        try:
            if what == "drugs":
                desc = catalog.drug(n).description
            elif what == "targets":
                desc = catalog.target(n).description
        except PdsimError as exc:
            desc = f"(does not load: {exc})"
        print(f"{n:24s} {desc}")
    return 0


def _pk(args) -> int:
    import numpy as np

    from .catalog import drug
    from .dosing import Regimen
    from .pk import pk_summary
    from .units import as_float

    dr = drug(args.drug)
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
    for k, v in summ.items():
        print(f"  {k:28s} {v}")
    if args.plot:
        from .plot import plot_pk

        fig = plot_pk(dr, reg, times, species=args.species, body_weight=bw)
        fig.savefig(args.plot, dpi=150, bbox_inches="tight")
        print(f"wrote {args.plot}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
