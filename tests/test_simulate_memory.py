"""Tests of how pdsim.simulate holds memory: a run leaves no cyclic garbage (which would keep a chunk's
arrays alive until the cyclic collector runs), and the Result's arrays are each their own.
"""
import gc
import itertools

import numpy as np
import pytest

from pdsim.errors import UnitError
from pdsim.scenario import Scenario
from pdsim.simulate import simulate
from pdsim.targets import as_drug

#: amitriptyline at six targets, nortriptyline formed: nortriptyline's in-vivo (PET) EC50 at NET is a mass
#: concentration, first tried as nM, so a UnitError is raised and caught for every chunk
SIX = ["SERT", "NET", "H1", "mAChR", "alpha1", "Nav"]


def _arm(n: int, arms: int = 1) -> Scenario:
    dose = {"drug": "amitriptyline", "dose": "75 mg", "every": "24 h", "count": 3}
    return Scenario.from_dict({
        "name": "memory", "duration": "3 day", "output_every": "1 h", "targets": SIX,
        "arms": [{"label": f"a{i}", "doses": [dose]} for i in range(arms)],
        "population": {"size": n, "seed": 1, "variability": {"amitriptyline.CL": 0.3}}})


def _cyclic_frames(fn) -> int:
    """Frames that ``fn()`` leaves in reference cycles (found by a collection with DEBUG_SAVEALL)."""
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        fn()
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        return sum(type(o).__name__ == "frame" for o in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if enabled:
            gc.enable()


def test_simulate_leaves_no_frames_in_cycles():
    """No frame of the run survives in a cycle: such a frame holds the engine's locals (a chunk's
    arrays) until the cyclic collector runs, which for a few large arrays may be many runs later."""
    simulate(_arm(4))  # caches filled
    assert _cyclic_frames(lambda: simulate(_arm(20))) == 0


def test_parameter_unit_error_leaves_no_cycle():
    """A failed conversion caught by the caller (as the engine does for mass-concentration EC50s)
    leaves no frame in a cycle; the error still names the parameter and chains pint's error."""
    p = as_drug("nortriptyline").binding("NET").params["in_vivo.EC50"]  # in ng/mL
    assert p.unit == "ng/mL"

    def convert():  # try/except, not pytest.raises: its ExceptionInfo would hold the traceback in this frame
        try:
            p.to("nM")
        except UnitError as exc:
            assert "cannot be converted to 'nM'" in str(exc) and exc.__cause__ is not None
        else:
            raise AssertionError("ng/mL converted to nM without a molar mass")

    assert _cyclic_frames(convert) == 0


@pytest.mark.parametrize("arms", [1, 2])
def test_result_arrays_are_independent(arms):
    """Every Result variable is its own writeable array (one arm in one chunk hands the chunk's arrays
    over; a variable two outputs share, e.g. an antagonist's occupancy and signal, is copied)."""
    res = simulate(_arm(6, arms))
    for (k1, a), (k2, b) in itertools.combinations(res.data.items(), 2):
        assert not np.shares_memory(a, b), (k1, k2)
    for k, a in res.data.items():
        assert a.shape == (arms, 6, res.time_h.size) and a.flags.writeable, k
    before = {k: a.copy() for k, a in res.data.items()}
    res.data["occupancy.H1"][...] = -1.0  # writing one variable changes no other
    for k, a in res.data.items():
        if k != "occupancy.H1":
            np.testing.assert_array_equal(a, before[k], err_msg=k)
