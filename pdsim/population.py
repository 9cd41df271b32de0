"""Virtual populations: log-normal inter-individual variability, seeded per subject.

Subject ``i`` draws the same numbers whatever the population size, so a 10-subject pilot and a
10 000-subject run agree on their first ten subjects.
"""
from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .errors import InputError

__all__ = ["sample_parameters", "sample_weights", "standard_normals", "omega_from_cv", "BLOCK", "PairCorrelations"]

#: subjects per random block; part of the reproducibility contract (changing it changes draws)
BLOCK = 1024

#: default allometric exponents applied when body weights are given (Holford 1996)
ALLOMETRY = {"CL": 0.75, "V": 1.0}


def omega_from_cv(cv: Any) -> Any:
    """Standard deviation of the log-normal random effect that gives a coefficient of variation.

    .. math:: \\omega^2 = \\ln(1 + \\mathrm{CV}^2)

    Parameters
    ----------
    cv : float or array
        Coefficient of variation as a fraction (0.3 for 30 %).

    Returns
    -------
    float or array
        :math:`\\omega`, the standard deviation of :math:`\\eta` in :math:`\\theta_i = \\theta\\,e^{\\eta_i}`.
    """
    return np.sqrt(np.log1p(np.square(cv)))


def _stream_key(name: str) -> int:
    # a stable (process-independent) key, unlike hash(); one random stream per parameter name
    return zlib.crc32(name.encode("utf-8"))


def standard_normals(name: str, n: int, seed: int, first: int = 0) -> np.ndarray:
    """Standard normal draws for subjects ``first .. first+n-1`` of the stream ``name``.

    Subjects are grouped in blocks of `BLOCK`; block ``b`` of stream ``name`` comes from its own
    generator, ``PCG64(SeedSequence(seed, spawn_key=(crc32(name), b)))``, and is always drawn in
    full, so that subject ``i`` gets the same number whatever ``n`` is, and every parameter name
    has a stream independent of the others (adding a varied parameter changes no other draw).

    Parameters
    ----------
    name : str
        Stream name (the parameter name).
    n : int
        Number of subjects (> 0).
    seed : int
        Non-negative integer seed.
    first : int
        Index of the first subject (for drawing a population chunk by chunk).
    """
    n = _check_n(n)
    seed = _check_seed(seed)
    if isinstance(first, bool) or not isinstance(first, (int, np.integer)) or first < 0:
        raise InputError(f"`first` must be a non-negative subject index (got {first!r}); give e.g. first=0.")
    key = _stream_key(name)
    b0, b1 = first // BLOCK, (first + n - 1) // BLOCK + 1
    out = np.empty((b1 - b0) * BLOCK)
    for b in range(b0, b1):
        ss = np.random.SeedSequence(seed, spawn_key=(key, b))
        out[(b - b0) * BLOCK:(b - b0 + 1) * BLOCK] = np.random.Generator(np.random.PCG64(ss)).standard_normal(BLOCK)
    off = first - b0 * BLOCK
    return out[off:off + n]


def _check_n(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
        raise InputError(f"`n` must be a positive whole number of subjects (got {n!r}); give e.g. n=1000.")
    return int(n)


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"`seed` must be a non-negative whole number (got {seed!r}); give e.g. seed=7.")
    return int(seed)


class PairCorrelations(dict):
    """A scenario's correlation table: ``{(name_a, name_b): rho}`` over the varied parameters of
    all its drugs (`pdsim.scenario.Population` builds it, each pair within one drug).

    Each drug's parameters are drawn by their own `sample_parameters` call, so given this table
    a call uses the pairs whose names are both among its own and leaves the others to the call
    that draws them; a plain dict keeps the strict rule that every pair names a varied parameter.
    """


def correlation_matrix(correlations: Any, names: Sequence[str]) -> np.ndarray:
    d = len(names)
    if isinstance(correlations, PairCorrelations):
        inside = {pair: rho for pair, rho in correlations.items() if pair[0] in names and pair[1] in names}
        for pair in correlations:
            if (pair[0] in names) != (pair[1] in names):
                raise InputError(f"`correlations` pair {pair!r} links a parameter drawn here ({', '.join(names)}) with "
                                 f"one drawn separately; pair parameters of one drug.")
        correlations = inside
    if isinstance(correlations, Mapping):
        r = np.eye(d)
        for pair, rho in correlations.items():
            if not (isinstance(pair, tuple) and len(pair) == 2):
                raise InputError(
                    f"`correlations` keys must be pairs of parameter names (got {pair!r}); write e.g. {{('CL', 'V'): 0.5}}."
                )
            for p in pair:
                if p not in names:
                    raise InputError(
                        f"`correlations` names '{p}', which has no CV; give it a CV in `cv` or remove the pair."
                    )
            a, b = names.index(pair[0]), names.index(pair[1])
            if a == b:
                raise InputError(f"`correlations` pair {pair!r} pairs a parameter with itself; remove it.")
            r[a, b] = r[b, a] = float(rho)
    else:
        r = np.asarray(correlations, dtype=float)
        if r.shape != (d, d):
            raise InputError(
                f"`correlations` must be a {d}x{d} matrix in the order of `cv` ({', '.join(names)}) (got shape {r.shape}); fix its size."
            )
    if not np.all(np.isfinite(r)):
        raise InputError("`correlations` must be finite; give coefficients between -1 and 1.")
    if not np.allclose(r, r.T, rtol=0, atol=1e-12) or not np.allclose(np.diag(r), 1.0, rtol=0, atol=1e-12):
        raise InputError("`correlations` must be symmetric with ones on the diagonal; fix the matrix.")
    if np.any(np.abs(r) > 1):
        raise InputError("`correlations` coefficients must lie between -1 and 1; fix the matrix.")
    return r


def sample_parameters(
    typical: Mapping[str, float],
    cv: Mapping[str, float],
    n: int,
    seed: int,
    correlations: Any = None,
    *,
    weight: Any = None,
    reference_weight: float = 70.0,
    allometry: Mapping[str, float] | None = None,
    first: int = 0,
) -> dict[str, np.ndarray]:
    """Draw a virtual population with log-normal inter-individual variability.

    .. math::

        \\theta_{p,i} = \\theta_p \\,\\Bigl(\\frac{WT_i}{WT_{ref}}\\Bigr)^{a_p} e^{\\eta_{p,i}},
        \\qquad \\eta_i = L\\,z_i,\\quad L L^\\top = \\Omega = D R D,\\quad
        D = \\operatorname{diag}(\\omega_p),\\quad \\omega_p^2 = \\ln(1 + \\mathrm{CV}_p^2)

    where :math:`z_{p,i}` are standard normals from `standard_normals` (stream ``p``, subject
    ``i``), :math:`R` the correlation matrix and :math:`a_p` the allometric exponent. The typical
    value is the median; the CV of the drawn values is :math:`\\sqrt{e^{\\omega^2}-1} = \\mathrm{CV}`.

    Parameters
    ----------
    typical : dict of str to float
        Typical (median) value of every parameter, in canonical units.
    cv : dict of str to float
        Coefficient of variation (fraction) of the varied parameters; each must be in `typical`.
        Its order is the order of a matrix given as `correlations`.
    n : int
        Number of subjects (> 0).
    seed : int
        Non-negative integer seed; subject ``i`` is the same for every ``n``.
    correlations : array (d, d) or dict of (str, str) to float, optional
        Correlation of the random effects :math:`\\eta`, as a matrix in the order of `cv` or as
        pairs, e.g. ``{("CL", "V"): 0.5}``. Must be positive definite.
    weight : float or array (n,), optional
        Body weight in kg of each subject; turns on allometric scaling.
    reference_weight : float
        Weight in kg at which the typical values hold (70).
    allometry : dict of str to float, optional
        Exponent per parameter; a key ``"CL"`` also applies to names ending in ``".CL"``.
        Default ``{"CL": 0.75, "V": 1.0}`` when `weight` is given.
    first : int
        Index of the first subject: ``sample_parameters(..., n=k, first=a)`` returns subjects
        ``a .. a+k-1`` of the same population (chunked runs of very large populations).

    Returns
    -------
    dict of str to ndarray (n,)
        Every parameter of `typical`, per subject.

    Raises
    ------
    InputError
        If ``n <= 0``, a CV is negative or names an unknown parameter, a typical value is not
        positive, or the correlation matrix is not a positive-definite correlation matrix.

    References
    ----------
    Holford NHG. A size standard for pharmacokinetics. *Clin Pharmacokinet* 1996;30:329–332.
    doi:10.2165/00003088-199630050-00001
    """
    n = _check_n(n)
    seed = _check_seed(seed)
    for name, value in typical.items():
        if not np.isfinite(value) or value <= 0:
            raise InputError(
                f"typical value of `{name}` must be a positive number for log-normal variability (got {value!r}); give e.g. 15.0."
            )
    names = list(cv)
    for name in names:
        c = cv[name]
        if name not in typical:
            raise InputError(f"`cv` names '{name}', which has no typical value; add it to `typical`.")
        if not np.isfinite(c) or c < 0:
            raise InputError(f"CV of `{name}` must be zero or positive (got {c!r}); give a fraction such as 0.3.")
    omega = omega_from_cv(np.array([cv[k] for k in names], dtype=float))
    z = np.array([standard_normals(k, n, seed, first) for k in names]).reshape(len(names), n)
    if correlations is not None and names:
        r = correlation_matrix(correlations, names)
        try:
            chol_r = np.linalg.cholesky(r)
        except np.linalg.LinAlgError as exc:
            raise InputError(
                "`correlations` is not positive definite; reduce the coefficients so that the matrix is a valid correlation matrix."
            ) from exc
        eta = omega[:, None] * (chol_r @ z)  # L = D chol(R), so L L^T = D R D
    else:
        eta = omega[:, None] * z
    out = {k: np.full(n, float(v)) for k, v in typical.items()}
    for p, k in enumerate(names):
        out[k] = out[k] * np.exp(eta[p])
    if weight is not None:
        wt = np.broadcast_to(np.asarray(weight, dtype=float), (n,))
        if not np.all(np.isfinite(wt)) or np.any(wt <= 0):
            raise InputError("`weight` must be positive body weights in kg; give e.g. 70.0 or an array of weights.")
        if not np.isfinite(reference_weight) or reference_weight <= 0:
            raise InputError(f"`reference_weight` must be a positive weight in kg (got {reference_weight!r}); give e.g. 70.0.")
        exps = dict(ALLOMETRY if allometry is None else allometry)
        for k in out:
            leaf = k.rsplit(".", 1)[-1]
            a = exps.get(k, exps.get(leaf))
            if a is not None:
                out[k] = out[k] * (wt / reference_weight) ** float(a)
    return out


def sample_weights(n: int, seed: int, median: float = 70.0, cv: float = 0.2, first: int = 0) -> np.ndarray:
    """Log-normal body weights in kg, reproducible per subject like `sample_parameters`.

    Parameters
    ----------
    n, seed, first : int
        Number of subjects, seed (stream ``"WT"``) and index of the first subject.
    median : float
        Median weight in kg.
    cv : float
        Coefficient of variation (fraction).
    """
    if not np.isfinite(median) or median <= 0:
        raise InputError(f"`median` must be a positive weight in kg (got {median!r}); give e.g. 70.0.")
    if not np.isfinite(cv) or cv < 0:
        raise InputError(f"`cv` must be zero or positive (got {cv!r}); give a fraction such as 0.2.")
    return median * np.exp(omega_from_cv(cv) * standard_normals("WT", n, seed, first))
