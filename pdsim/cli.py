"""The `pdsim` command: demo, run, list, sources, check, validate, pk, report, export.

Exit status: 0 success, 1 a failed check, 2 bad input or a file that cannot be read or written
(one line on stderr, no traceback), 130 interrupted. Commands that write a folder (--out) check it
before simulating, refuse one that already holds a run unless --force, and write atomically.
"""
from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from . import __version__
from .errors import InputError, PdsimError

EXAMPLES = """examples:
  pdsim demo --out pdsim-demo
  pdsim run models/scenarios/tianeptine_therapeutic_vs_misuse.toml --out out/
  pdsim run demo --doses doses.csv --arm "Tianeptine 12.5 mg three times daily"
  pdsim list drugs
  pdsim pk tianeptine --dose "12.5 mg" --every "8 h" --days 7 --plot tianeptine.png
  pdsim pk tianeptine --dose "12.5 mg" --unit ng/mL
  pdsim sources tianeptine --format markdown
  pdsim check
  pdsim validate --out validation/
  pdsim export sbml demo --arm "Escitalopram 10 mg once daily" --no-systems --out escitalopram.xml
"""


FORCE_HELP = "replace the previous run in --out (all of its files) instead of refusing"
#: the list of files a command wrote into its --out folder (what --force replaces)
MANIFEST = ".pdsim-run"
#: files that mark a folder written by an older pdsim (before the manifest): a run, a validation or a report
#: --out folders this process created (removed again if the command fails before writing)
_MADE: set[Path] = set()
_LEGACY_OUTPUTS = ("results.csv", "sources.csv", "notes.txt", "report.md", "report.csv", "report.html")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pdsim",
        description="Pharmacodynamic simulation: what a dose does at its targets and downstream, with sources.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"pdsim {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    d = sub.add_parser("demo", help="the flagship comparison: tianeptine vs amitriptyline vs escitalopram, "
                                           "with the antidepressant classes side by side")
    d.add_argument("--out", default="pdsim-demo", help="output folder (default ./pdsim-demo)")
    d.add_argument("--force", action="store_true", help=FORCE_HELP)

    r = sub.add_parser("run", help="run a scenario file: results.csv, sources.csv, notes.txt (assumptions applied) and figures")
    r.add_argument("scenario", help="a scenario .toml file or a name from `pdsim list scenarios`")
    r.add_argument("--out", default=None, help="output folder (default ./pdsim-out/<scenario>)")
    r.add_argument("--no-plots", action="store_true", help="write tables only")
    _add_replay_options(r)
    r.add_argument("--force", action="store_true", help=FORCE_HELP)
    r.add_argument("--variables", default=None,
                   help="comma-separated variables or prefixes for results.csv, e.g. 'plasma,occupancy.MOR' "
                        "(default: all; a population's full table can run to hundreds of MB)")

    ls = sub.add_parser("list", help="list drugs, targets, systems, scenarios or checks")
    ls.add_argument("what", choices=["drugs", "targets", "systems", "scenarios", "checks"],
                    help="what to list: drugs, targets, systems, scenarios (with their descriptions) or checks")

    s = sub.add_parser("sources", help="every parameter of a drug/target/system/scenario with its source")
    s.add_argument("name", help="a drug, target, system or scenario name (see `pdsim list ...`)")
    s.add_argument("--format", choices=["table", "csv", "markdown"], default="table",
                   help="output format (default: a plain-text table)")

    sub.add_parser("check", help="exit 1 if any parameter lacks a resolvable source (walks models/ and seeds/)")

    v = sub.add_parser("validate", help="run the claims-as-checks and write report.md and report.csv")
    v.add_argument("--out", default="pdsim-validation", help="output folder (default ./pdsim-validation)")
    v.add_argument("--force", action="store_true", help=FORCE_HELP)

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

    _add_export(sub)
    _add_tdm(sub)

    rp = sub.add_parser("report", help="one self-contained HTML page for a scenario")
    rp.add_argument("scenario", help="a scenario .toml file or a name from `pdsim list scenarios`")
    rp.add_argument("--out", default="pdsim-report", help="output folder (default ./pdsim-report)")
    rp.add_argument("--force", action="store_true", help=FORCE_HELP)
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
        return _fail(args.command, str(exc))
    except UnicodeDecodeError as exc:
        return _fail(args.command, f"a file is not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8.")
    except OSError as exc:  # permission, disk full, a folder where a file was expected, ...
        where = f" {exc.filename}" if exc.filename else ""
        return _fail(args.command, f"cannot read or write{where}: {exc.strerror or exc}; check the path and permissions.")
    except MemoryError:
        return _fail(args.command, "out of memory; lower population.size or raise output_every (see the size limit, "
                                   "PDSIM_MAX_BYTES, in README 'Errors and limits').")
    except KeyboardInterrupt:
        print("pdsim: interrupted", file=sys.stderr)
        return 130


def _fail(command: str, message: str) -> int:
    print(f"pdsim {command}: error: {' '.join(message.split())}", file=sys.stderr)
    return 2


def _previous_run(out: Path) -> list[Path]:
    """The files of an earlier run in ``out``: those its manifest lists, or the known output names."""
    manifest = out / MANIFEST
    if manifest.is_file():
        names = [n for n in manifest.read_text(encoding="utf-8").splitlines() if n.strip()]
        files = [out / n for n in names if ".." not in Path(n).parts and not Path(n).is_absolute()]
        return [f for f in files if f.is_file()] + [manifest]
    return [out / n for n in _LEGACY_OUTPUTS if (out / n).is_file()]


def _check_out(out: Path, force: bool) -> None:
    """Before any simulation: ``out`` must be (or become) a writable folder without an earlier run in it
    (unless ``force``). A folder made here is removed again if the command then fails with it empty."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file, not a folder; give a folder name.", key="--out", value=str(out))
    previous = _previous_run(out) if out.is_dir() else []
    if previous and not force:
        shown = ", ".join(p.name for p in previous[:4]) + (", ..." if len(previous) > 4 else "")
        raise InputError(f"--out {out} already holds a run ({shown}); give another folder, or add --force to "
                         f"replace that run's files.", key="--out", value=str(out))
    if not out.exists():
        _MADE.add(out.resolve())
    out.mkdir(parents=True, exist_ok=True)
    fd, probe = tempfile.mkstemp(prefix=".pdsim-probe-", dir=out)
    os.close(fd)
    os.unlink(probe)


def _write_set(out: Path, force: bool, produce: Callable[[Path], object]) -> list[Path]:
    """Run ``produce(stage)``, which writes into a fresh staging folder inside ``out``; then move each
    new file into place with an atomic rename, (with ``force``) remove the earlier run's other files,
    and record the new set in the manifest. On any failure the staging folder is removed and ``out`` keeps
    what it had."""
    stage = Path(tempfile.mkdtemp(prefix=".pdsim-staging-", dir=out))
    done = False
    try:
        produce(stage)
        made = sorted(p for p in stage.rglob("*") if p.is_file())
        previous = _previous_run(out) if force else []
        final = []
        for p in made:  # a file of the same name is replaced in one rename: never missing, never half-written
            dest = out / p.relative_to(stage)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(p, dest)
            final.append(dest)
        for old in previous:  # then the earlier run's files the new one did not replace
            if old not in final:
                old.unlink(missing_ok=True)
        tmp = stage / MANIFEST
        tmp.write_text("".join(f"{f.relative_to(out).as_posix()}\n" for f in final), encoding="utf-8")
        os.replace(tmp, out / MANIFEST)
        done = True
        return final
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if not done and out.resolve() in _MADE and not any(out.iterdir()):
            out.rmdir()  # the command made this folder and wrote nothing into it


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
        from .validation import counts, failures, run_checks, write_report

        out = Path(args.out)
        _check_out(out, args.force)
        rows = run_checks(progress=sys.stderr.isatty())
        written = _write_set(out, args.force, lambda stage: write_report(rows, stage))
        csv_path = next(p for p in written if p.name == "report.csv")
        md_path = next(p for p in written if p.name == "report.md")
        print(f"wrote {md_path} and {csv_path}: " + ", ".join(f"{n} {k}" for k, n in counts(rows).items()))
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

        out = Path(args.out)
        _check_out(out, args.force)
        for path in _write_set(out, args.force, run_demo):
            print(f"wrote {path}")
        return 0
    if cmd == "export":
        return _export(args)
    if cmd == "tdm":
        return _tdm(args)
    if cmd == "report":
        from .html_report import write_html_report

        from .scenario import load_scenario

        sc = load_scenario(args.scenario)
        out = Path(args.out)
        _check_out(out, args.force)
        for path in _write_set(out, args.force, lambda stage: write_html_report(sc, stage, progress=sys.stderr.isatty())):
            if path.suffix == ".html":
                print(f"wrote {path}")
        return 0
    raise AssertionError(cmd)  # argparse restricts the choices


def _add_export(sub) -> None:
    """`pdsim export sbml`: one arm of a scenario as an SBML Level 3 model."""
    e = sub.add_parser("export", help="write a scenario arm in another format (sbml)")
    e.add_argument("format", choices=["sbml"], help="the format to write (sbml: SBML Level 3 Version 2)")
    e.add_argument("scenario", help="a scenario .toml file or a name from `pdsim list scenarios`")
    e.add_argument("--arm", default=None, metavar="LABEL", help="the arm to export (if there are several)")
    e.add_argument("--out", required=True, metavar="FILE.xml", help="the SBML file to write")
    e.add_argument("--no-systems", action="store_true",
                   help="leave out downstream systems (SBML export does not express them yet)")


def _export(args) -> int:
    from .sbml import write_sbml

    path = write_sbml(args.scenario, Path(args.out), args.arm, include_systems=not args.no_systems)
    print(f"wrote {path}")
    return 0


def _add_tdm(sub) -> None:
    """`pdsim tdm`: measured drug levels against the model, an individual clearance and a dose (teaching only)."""
    t = sub.add_parser("tdm", help="drug-level monitoring: measured levels vs the model, a Bayesian clearance "
                                   "estimate and the dose for the range middle (teaching and research only)")
    t.add_argument("drug", help="a drug name from `pdsim list drugs`, or a drug .toml file")
    t.add_argument("--dose", required=True, help="dose per administration, e.g. '75 mg'")
    t.add_argument("--every", required=True, help="dosing interval, e.g. '24 h' (doses from time 0 until the last level)")
    t.add_argument("--level", action="append", required=True, metavar="TIME=VALUE",
                   help="a measured level, time after the first dose = concentration, e.g. '12 h=85 ng/mL' (repeatable)")
    t.add_argument("--form", default=None, help="the salt the dose is stated as, e.g. 'hydrochloride' (see `pdsim sources`)")
    t.add_argument("--route", default="oral", help="oral (default), iv_bolus, ip or sc")
    t.add_argument("--cv", type=float, default=None,
                   help="between-subject CV of clearance for the prior (default: the assumed 0.3)")
    t.add_argument("--target", default=None, help="target level, e.g. '150 ng/mL' (default: middle of the reference range)")
    t.add_argument("--phenotype", action="append", default=None, metavar="GENE=PHENOTYPE",
                   help="the person's CYP2D6/CYP2C19 phenotype, e.g. 'CYP2D6=poor' (repeatable): centres the prior and "
                        "the predictions on that phenotype's typical clearance")
    t.add_argument("--plot", default=None, help="write the levels on the simulated 5-95 %% band of the regimen, the "
                                                "predicted curves and the range to this PNG")


def _tdm(args) -> int:
    from . import tdm
    from .catalog import drug
    from .dosing import Regimen
    from .units import as_float

    levels = [tdm.parse_level(x, "--level") for x in args.level]
    for x in args.phenotype or ():
        _check_phenotype_flag(x)
    plot = Path(args.plot) if args.plot else None
    if plot is not None:
        _check_plot(plot)
    dr = drug(args.drug)
    every = as_float(args.every, "h", "--every", positive=True)
    last = max(x.time for x in levels)
    count = max(1, math.ceil(last / every - 1e-9))  # the doses given before the last level
    reg = Regimen.repeated(dose=args.dose, every=args.every, count=count, route=args.route, drug=dr.name, form=args.form)
    est = tdm.estimate_clearance(dr, reg, levels, cv=args.cv, phenotype=args.phenotype)
    rng = tdm.reference_range(dr)
    print(tdm.CAUTION)
    print(f"{dr.display_name}: {args.dose}{' ' + args.form if args.form else ''} every {args.every} "
          f"({count} dose{'s' if count != 1 else ''} before the last level)"
          + (f"; phenotype {', '.join(f'{g} {p}' for g, p in est.phenotype)}" if est.phenotype else ""))
    for n in reg.notes:
        print(f"  {n}")
    print(f"reference range: {rng.text() if rng else 'none in the catalogue for ' + dr.name}")
    table = tdm.compare(dr, levels, reg, estimate=est)
    for _, row in table.iterrows():
        pos = f", {row['position']}" if "position" in row else ""
        print(f"  level at {row['time_h']:g} h: measured {row['measured_ng_mL']:.4g} ng/mL; predicted "
              f"{row['predicted_ng_mL']:.4g} (typical clearance), {row['individual_ng_mL']:.4g} (estimated){pos}")
    print(f"clearance: typical {est.typical:.4g} L/h; estimated {est.clearance:.4g} L/h (MAP), 95% interval "
          f"{est.ci95[0]:.3g}-{est.ci95[1]:.3g} L/h (SD of log CL {est.sd_log:.3f})")
    for n in est.notes:
        print(f"  {n}")
    if rng is not None or args.target is not None:
        sug = tdm.dose_for_target(dr, reg, est, args.target)
        where = f", {rng.position(sug.current_mean)}" if rng is not None else ""
        print(f"predicted steady-state mean at the current dose (estimated clearance): {sug.current_mean:.4g} ng/mL{where}")
        print(f"suggested dose for {sug.target:g} ng/mL: {sug.text()}")
    else:
        print("suggested dose: needs a target; give --target '... ng/mL' (no reference range in the catalogue).")
    if plot is not None:
        tdm.plot_levels(dr, reg, levels, est, plot, band_cv=args.cv)
        print(f"wrote {plot}")
    print(tdm.CAUTION)
    return 0


def _add_replay_options(r: argparse.ArgumentParser) -> None:
    """`pdsim run --doses`: replay a NONMEM-convention event table in one arm of the scenario."""
    r.add_argument("--doses", default=None, metavar="FILE.csv",
                   help="replace the arm's doses by this event table (ID, TIME, AMT, CMT, RATE, II, ADDL, EVID; h, mg)")
    r.add_argument("--arm", default=None, metavar="LABEL", help="with --doses: the arm to replay (if there are several)")
    r.add_argument("--id", default=None, help="with --doses: the subject ID to read (if the table has several)")


def _replayed(args):
    """The scenario to run: as named, or (with --doses) reduced to one arm dosed by the event table."""
    if args.doses is None:
        if args.arm is not None or args.id is not None:
            from .errors import InputError

            raise InputError("--arm and --id choose what --doses replays; give --doses FILE.csv as well.")
        return args.scenario
    from .scenario import replay_scenario

    return replay_scenario(args.scenario, Path(args.doses), arm=args.arm, id=args.id)


#: results.csv larger than this (bytes, estimated) is announced on stderr before it is written
CSV_WARN_BYTES = 50e6


def _run(args) -> int:
    """`pdsim run`: check --out, simulate, announce a large results.csv with its estimated size, write the outputs
    (all inside `_write_set`, so a refused or failed run leaves --out as it was)."""
    import dataclasses

    from .runner import default_out_dir, figures_for, simulate_scenario, write_outputs
    from .scenario import Scenario, load_scenario

    target = _replayed(args)
    sc = target if isinstance(target, Scenario) else load_scenario(target)
    out_dir = Path(args.out) if args.out is not None else default_out_dir(sc)
    _check_out(out_dir, args.force)

    def produce(stage: Path) -> list[Path]:
        _, result = simulate_scenario(sc, progress=sys.stderr.isatty())
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
        return write_outputs(table, stage, plots=not args.no_plots, figures=figures)

    for path in _write_set(out_dir, args.force, produce):
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
    if what == "systems":  # the names a scenario's systems = [...] takes (the engine's registry)
        from .engine.registry import systems

        for n, spec in systems().items():
            print(f"{n:30s} {spec.description} [{spec.parameters}]")
        return 0
    names = {"drugs": catalog.drugs, "targets": catalog.targets, "scenarios": catalog.scenarios}[what]()
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

    from .limits import MAX_DOSES, MAX_PK_POINTS

    dr = drug(args.drug)
    if args.unit:  # checked before anything is printed
        from .units import concentration_scale

        scale = concentration_scale(args.unit, dr.molar_mass.quantity, name="--unit")
    days = args.days
    if not (math.isfinite(days) and days > 0):
        raise InputError(f"`--days` must be a finite number greater than zero (got {days}); write e.g. --days 7.",
                         key="--days", value=days)
    points = int(days * 24 * 10) + 1
    if points < 2:
        raise InputError(f"`--days {days:g}` is shorter than one step of the curve (6 minutes); give e.g. --days 1.",
                         key="--days", value=days)
    if points > MAX_PK_POINTS:
        raise InputError(f"`--days {days:g}` needs {points:,} time points (10 per hour), above the cap of "
                         f"{MAX_PK_POINTS:,} ({MAX_PK_POINTS / 240:,.0f} days); give fewer days.", key="--days", value=days)
    if args.route == "iv_infusion":
        raise InputError("`--route iv_infusion` needs an infusion duration, which `pdsim pk` has no option for; write a "
                         "scenario with route = \"iv_infusion\" and duration = \"2 h\" and use `pdsim run`.",
                         key="--route", value=args.route)
    if args.body_weight is not None:
        as_float(args.body_weight, "kg", "--body-weight", positive=True)
    plot = Path(args.plot) if args.plot else None
    if plot is not None:
        _check_plot(plot)
    bw = args.body_weight
    if args.every:
        every_h = as_float(args.every, "h", "--every", positive=True)
        count = max(1, int(np.floor(days * 24 / every_h + 1e-9)))
        if count > MAX_DOSES:
            raise InputError(f"`--every {args.every}` over {days:g} days is {count:,} doses, above the cap of "
                             f"{MAX_DOSES:,} (more than any protocol; each dose is an event the engine superposes); "
                             f"give a longer interval or fewer days.", key="--every", value=args.every)
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
                 if conc.get(k) is not None else v) for k, v in rows]
    for k, v in rows:
        print(f"  {k:28s} {v}")
    if args.plot:
        from .plot import plot_pk

        fig = plot_pk(dr, reg, times, species=args.species, body_weight=bw, unit=args.unit)
        fd, tmp = tempfile.mkstemp(prefix=".pdsim-", suffix=plot.suffix, dir=plot.parent)
        os.close(fd)
        try:
            fig.savefig(tmp, dpi=150, bbox_inches="tight", format=plot.suffix[1:].lower())
            os.replace(tmp, plot)  # atomic: a reader never sees half a figure
        finally:
            Path(tmp).unlink(missing_ok=True)
        print(f"wrote {args.plot}")
    return 0


def _check_phenotype_flag(text: str) -> None:
    """One ``--phenotype GENE=PHENOTYPE`` of `pdsim tdm`, checked with a message about the flag (the
    library's message speaks of a scenario's ``phenotype`` table and its population frequencies)."""
    from .errors import did_you_mean, suggest
    from .pharmacogenetics import GENES, PHENOTYPES

    gene, sep, value = (y.strip() for y in text.partition("="))
    if not sep or "=" in value:
        raise InputError(f"--phenotype {text!r} must read GENE=PHENOTYPE, one gene at a time; write e.g. "
                         f"--phenotype CYP2D6=poor.", key="--phenotype", value=text)
    if gene not in PHENOTYPES:
        raise InputError(f"--phenotype {text!r}: pdsim has phenotypes for {', '.join(GENES)} only, not {gene!r}."
                         f"{did_you_mean(gene, GENES)} Write e.g. --phenotype CYP2D6=poor.", key="--phenotype", value=text)
    if value not in PHENOTYPES[gene]:
        raise InputError(f"--phenotype {text!r}: {value!r} is not a {gene} phenotype."
                         f"{suggest(value, PHENOTYPES[gene], known=True)} Write e.g. --phenotype {gene}=poor.",
                         key="--phenotype", value=text)


def _check_plot(plot: Path) -> None:
    """Before simulating: --plot names a file of a format matplotlib writes, in a writable folder."""
    from matplotlib.figure import Figure

    kinds = Figure().canvas.get_supported_filetypes()
    ext = plot.suffix[1:].lower()
    if ext not in kinds:
        raise InputError(f"--plot {plot}: unknown figure format '{plot.suffix or '(none)'}'; end the name with one of "
                         f"{', '.join('.' + k for k in sorted(kinds))} (e.g. tianeptine.png).", key="--plot", value=str(plot))
    if plot.is_dir():
        raise InputError(f"--plot {plot} is a folder; give a file name such as {plot / 'pk.png'}.", key="--plot",
                         value=str(plot))
    folder = plot.parent
    if not folder.is_dir():
        raise InputError(f"--plot {plot}: folder {folder} does not exist; create it or give another path.",
                         key="--plot", value=str(plot))
    if not os.access(folder, os.W_OK):
        raise InputError(f"--plot {plot}: folder {folder} is not writable; give another path.", key="--plot",
                         value=str(plot))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
