"""Tests of pdsim.effects.stress: protocol timing, edges, registry (Luine 1994; Czéh 2001; Pham 2003)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pdsim.effects import StressProtocol, protocol, protocols
from pdsim.errors import InputError, UnknownNameError


def test_chronic_restraint_is_6_h_a_day_for_21_days():
    """Chronic restraint: 6 h/day on 21 consecutive days (luine1994; claim protocol.crs.restraint)."""
    p = protocol("chronic_restraint")
    assert (p.days, p.session_hours, p.species) == (21, 6.0, "rat")
    on = p.onset_hour
    assert p.intensity(on - 1e-6) == 0.0
    assert p.intensity(on) == 1.0  # right-continuous: the value after the edge
    assert p.intensity(on + 6.0 - 1e-6) == 1.0
    assert p.intensity(on + 6.0) == 0.0
    assert p.intensity(20 * 24 + on + 1) == 1.0  # the last day still has a session
    assert p.intensity(21 * 24 + on + 1) == 0.0  # and then it stops
    assert p.mean_intensity() == pytest.approx(6 / 24)


def test_edges_are_every_on_and_off():
    p = protocol("chronic_restraint")
    e = p.edges()
    assert e.size == 2 * 21
    np.testing.assert_allclose(e[:4], [9, 15, 33, 39])
    np.testing.assert_allclose(p.edges(start_h=100.0), e + 100.0)
    # intensity is constant between consecutive edges
    mids = 0.5 * (e[1:] + e[:-1])
    left = p.intensity(e[:-1])
    np.testing.assert_array_equal(p.intensity(mids), left)


def test_psychosocial_background_and_treatment_day():
    """Tree shrew: 7 d stress, then 28 d stress with treatment (czeh2001); 1-2 h confrontations."""
    p = protocol("psychosocial_stress")
    assert p.days == 35
    assert p.parameter("treatment_start_day").to("day") == 7
    assert p.intensity(0.0) == p.background > 0
    assert p.intensity(35 * 24 + 0.5) == 0.0
    e = p.edges()
    assert e[0] == 0.0 and e[-1] == 35 * 24
    w = p.session_hours / 24
    assert p.mean_intensity() == pytest.approx(w * p.level + (1 - w) * p.background)


def test_vectorised_and_scalar():
    p = protocol("chronic_immobilisation")
    t = np.linspace(0, 300, 61).reshape(61, 1)
    out = p.intensity(t)
    assert out.shape == (61, 1)
    assert isinstance(p.intensity(3.0), float)


def test_shifted_start():
    p = protocol("acute_stress")
    assert p.intensity(p.onset_hour + 50.0, start_h=50.0) == 1.0
    assert p.intensity(p.onset_hour, start_h=50.0) == 0.0


def test_registry_names_aliases_and_suggestions():
    names = protocols()
    assert {"chronic_restraint", "psychosocial_stress", "chronic_immobilisation", "acute_stress"} <= set(names)
    assert protocol("Chronic_Immobilization").name == "chronic_immobilisation"
    assert protocol("CRS").name == "chronic_restraint"
    with pytest.raises(UnknownNameError, match="Did you mean 'chronic_restraint'"):
        protocol("chronic_restrain")
    with pytest.raises(UnknownNameError, match="no parameter 'treatment_start_day'"):
        protocol("chronic_restraint").parameter("treatment_start_day")


def test_every_protocol_parameter_is_sourced():
    for name in protocols():
        for p in protocol(name).parameters.values():
            assert p.sources and p.kind in ("measured", "derived", "assumed")


def test_invalid_session_is_refused():
    with pytest.raises(InputError, match="within one day"):
        StressProtocol("bad", "rat", days=2, session_hours=6, onset_hour=20, level=1, background=0)
    with pytest.raises(InputError, match="level must lie in"):
        StressProtocol("bad", "rat", days=2, session_hours=6, onset_hour=1, level=2, background=0)


@settings(max_examples=60, deadline=None)
@given(t=st.floats(-100, 2000), name=st.sampled_from(["chronic_restraint", "psychosocial_stress", "acute_stress"]))
def test_intensity_stays_in_unit_interval(t, name):
    v = protocol(name).intensity(t)
    assert 0.0 <= v <= 1.0


def test_edited_file_is_picked_up(tree_copy):
    """A changed models/systems/stress.toml (in a throw-away copy) changes the protocol; the cache follows the file."""
    import os

    f = tree_copy / "models" / "systems" / "stress.toml"
    assert protocol("chronic_restraint").session_hours == 6.0
    text = f.read_text().replace("chronic_restraint_session_hours = { value = 6,", "chronic_restraint_session_hours = { value = 4,")
    f.write_text(text)
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    from pdsim import catalog

    catalog.clear_cache()
    assert protocol("chronic_restraint").session_hours == 4.0
