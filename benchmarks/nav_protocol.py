"""Nav voltage-clamp trains: `pdsim.targets.nav_block` (closed form per pulse) against SciPy solve_ivp, time and error.

Usage: python benchmarks/nav_protocol.py [--concs N] [--pulses N]  (see benchmarks/README.md)
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from pdsim import catalog  # noqa: E402
from pdsim.targets import h_inf, k_app, nav_block  # noqa: E402

#: the Nau et al. (2000) experiment as pdsim validate runs it: amitriptyline on Nav1.5, 5 Hz trains from -140 mV
DRUG, FREQ, HOLD, TEST, TD = "amitriptyline", 5.0, -140.0, 30.0, 24.0


def _peer(conc: np.ndarray, pulses: int) -> np.ndarray:
    """The same binding ODE, db/dt = λ(V)(b_eq(V) − b), integrated by solve_ivp phase by phase (all
    concentrations as one vector), block read at every pulse onset."""
    from scipy.integrate import solve_ivp

    p = catalog.drug(DRUG).binding("Nav").params
    kon, ki, tau = p["k_on_inactivated"].to("1/nM/ms"), p["k_inact"].to("nM"), p["tau_recovery"].to("ms")

    def phase(v: float):
        h = float(h_inf(v))
        return conc / (conc + k_app(DRUG, v)), h / tau + (1 - h) * kon * (conc + ki)

    (bh, lh), (bt, lt) = phase(HOLD), phase(TEST)
    period = 1e3 / FREQ
    b = bh.copy()
    out = np.empty((conc.size, pulses))
    for n in range(pulses):
        out[:, n] = b
        for beq, lam, dur in ((bt, lt, TD), (bh, lh, period - TD)):
            b = solve_ivp(lambda t, y, beq=beq, lam=lam: lam * (beq - y), (0.0, dur), b, method="RK45",
                          rtol=1e-9, atol=1e-12).y[:, -1]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--concs", type=int, default=200, help="concentrations in the concentration-response")
    ap.add_argument("--pulses", type=int, default=60)
    a = ap.parse_args()
    conc = np.logspace(0, 5, a.concs)
    kw = dict(frequency=FREQ, holding=HOLD, test=TEST, pulse_duration=TD, pulses=a.pulses)
    nav_block(DRUG, conc, **kw)  # warm the catalogue cache
    reps = 20
    t0 = time.perf_counter()
    for _ in range(reps):
        ours = nav_block(DRUG, conc, **kw).per_pulse
    t_ours = (time.perf_counter() - t0) / reps
    t0 = time.perf_counter()
    ref = _peer(conc, a.pulses)
    t_peer = time.perf_counter() - t0
    err = float(np.max(np.abs(ours - ref)))
    print(f"{a.concs} concentrations x {a.pulses} pulses ({DRUG}, {FREQ:g} Hz, {HOLD:g} -> {TEST:+g} mV, {TD:g} ms)")
    print(f"  pdsim nav_block: {1e3 * t_ours:.3f} ms   solve_ivp: {1e3 * t_peer:.1f} ms   "
          f"ratio {t_peer / t_ours:.0f}x   max |difference| in block {err:.1e}")


if __name__ == "__main__":
    main()
