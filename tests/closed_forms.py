"""Closed forms the tests hold the catalogue's PK to, written out independently of pdsim's PK code."""
from __future__ import annotations

import math

import numpy as np

import pdsim


def amitriptyline_oral_2cmt_mg_l(dose, t, cl_factor=1.0):
    """Oral two-compartment closed form (Gibaldi & Perrier 1982, ch. 2), mg/L after ``dose`` mg at t >= 0:
    C = F D ka / V * sum_i (k21 - r_i) / prod_{j != i} (r_j - r_i) e^{-r_i t} over r in (alpha, beta, ka)."""
    p = pdsim.drug("amitriptyline").pk("human").params
    ka, F, V, Q, V2 = p["ka"].to("1/h"), p["F"].to("1"), p["V"].to("L"), p["Q"].to("L/h"), p["V2"].to("L")
    k10, k12, k21 = p["CL"].to("L/h") * cl_factor / V, Q / V, Q / V2
    s = k10 + k12 + k21
    alpha = 0.5 * (s + math.sqrt(s * s - 4.0 * k10 * k21))
    beta = 0.5 * (s - math.sqrt(s * s - 4.0 * k10 * k21))
    r = (alpha, beta, ka)
    t = np.asarray(t, dtype=float)
    tot = sum((k21 - r[i]) / math.prod(r[j] - r[i] for j in range(3) if j != i) * np.exp(-r[i] * t) for i in range(3))
    return F * dose * ka / V * tot
