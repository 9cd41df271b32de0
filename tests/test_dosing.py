"""Tests of pdsim.dosing: Dose and Regimen construction, combination, units at the boundary, errors."""
import dataclasses

import numpy as np
import pytest
from numpy.testing import assert_allclose

from pdsim.dosing import ROUTES, Dose, Regimen
from pdsim.errors import InputError, PdsimError, UnitError
from pdsim.units import Q_


def amounts(r):
    return [e.amount for e in r]


def test_single_defaults_and_units():
    r = Regimen.single()
    assert len(r) == 1
    assert r[0] == Dose(0.0, 25.0, "oral")
    # a string, a quantity and a plain number in mg are the same dose
    assert Regimen.single("12.5 mg", at="2 h") == Regimen.single(Q_(0.0125, "g"), at=Q_(120, "min")) == Regimen.single(12.5, at=2)


def test_repeated_count_and_until_agree():
    """12.5 mg every 8 h for 28 days is 84 doses, the last at 664 h (doses strictly before `until`)."""
    by_count = Regimen.repeated(dose="12.5 mg", every="8 h", count=84, drug="tianeptine")
    by_until = Regimen.repeated(dose="12.5 mg", every="8 h", until="28 day", drug="tianeptine")
    assert by_count == by_until
    assert len(by_count) == 84
    assert by_count.events[-1].time == 664.0
    assert by_count.interval == 8.0
    assert by_count.drugs == ("tianeptine",)
    assert_allclose(by_count.times, np.arange(84) * 8.0)


def test_start_offsets_every_dose():
    r = Regimen.repeated(dose=5, every="12 h", count=3, start="1 day")
    assert_allclose(r.times, [24, 36, 48])


def test_regimen_is_immutable_and_hashable():
    r = Regimen.repeated(dose=5, every=8, count=3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.events = ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.events[0].amount = 10
    assert isinstance(r.events, tuple)
    assert hash(r) == hash(Regimen.repeated(dose=5, every=8, count=3))


def test_events_sorted_and_iteration():
    r = Regimen((Dose(10, 1), Dose(0, 2), Dose(5, 3)))
    assert_allclose(r.times, [0, 5, 10])
    assert [e.amount for e in r] == [2, 3, 1]
    assert r[-1].time == 10


def test_mg_per_kg_needs_body_weight():
    r = Regimen.single("0.5 mg/kg", body_weight="0.3 kg")
    assert_allclose(r[0].amount, 0.15)
    r = Regimen.repeated("10 mg/kg", every="24 h", count=2, body_weight=0.25, route="ip")
    assert_allclose(amounts(r), [2.5, 2.5])
    with pytest.raises(InputError, match=r"^`dose` is per body weight \(0.5 mg/kg\); give body_weight, e.g. body_weight='0.3 kg'\.$"):
        Regimen.single("0.5 mg/kg")


def test_loading_then_maintenance():
    r = Regimen.loading(loading="50 mg", dose="12.5 mg", every="8 h", count=4)
    assert amounts(r) == [50, 12.5, 12.5, 12.5]
    assert_allclose(r.times, [0, 8, 16, 24])


def test_infusion_rate_dose_duration():
    a = Regimen.infusion(rate="10 mg/h", duration="2 h")
    b = Regimen.infusion(dose="20 mg", duration="2 h")
    c = Regimen.infusion(rate="10 mg/h", dose="20 mg")
    assert a == b == c
    assert a[0].route == "iv_infusion" and a[0].duration == 2.0 and a[0].rate == 10.0 and a[0].end == 2.0
    per_kg = Regimen.infusion(rate="1 mg/kg/h", duration="2 h", body_weight="70 kg")
    assert_allclose(per_kg[0].amount, 140.0)


def test_repeated_infusions_may_overlap():
    """An infusion longer than the interval is allowed: the running infusions overlap."""
    r = Regimen.infusion(rate=5, duration="12 h", every="8 h", count=3)
    assert_allclose(r.times, [0, 8, 16])
    assert all(e.duration == 12 for e in r)


def test_ladder_escalates():
    r = Regimen.ladder(doses=["12.5 mg", "25 mg", "37.5 mg"], every="8 h", per_step=3)
    assert amounts(r) == [12.5] * 3 + [25] * 3 + [37.5] * 3
    assert_allclose(r.times, np.arange(9) * 8.0)
    by_time = Regimen.ladder(doses=["12.5 mg", "25 mg"], every="8 h", per_step="1 day")
    assert amounts(by_time) == [12.5] * 3 + [25] * 3


def test_combine_two_drugs_and_bolus_plus_infusion():
    a = Regimen.repeated(dose="12.5 mg", every="8 h", count=3, drug="tianeptine")
    b = Regimen.single("0.4 mg", route="iv_bolus", at="4 h", drug="naloxone")
    r = a + b
    assert len(r) == 4
    assert_allclose(r.times, [0, 4, 8, 16])
    assert r.drugs == ("tianeptine", "naloxone")
    assert r.for_drug("naloxone") == b
    assert r.for_drug("Tianeptine") == a
    assert sum([a, b]) == r
    mixed = Regimen.single(100, route="iv_bolus") + Regimen.infusion(rate=10, duration=5)
    assert [e.route for e in mixed] == ["iv_bolus", "iv_infusion"]
    assert r.interval is None  # uneven spacing


def test_unnamed_doses_belong_to_any_drug():
    r = Regimen.single(5) + Regimen.single(1, drug="naloxone", at=1)
    assert len(r.for_drug("tianeptine")) == 1
    assert len(r.for_drug("naloxone")) == 2


def test_skip_and_scaled():
    r = Regimen.repeated(dose=10, every=8, count=5)
    assert_allclose(r.skip(1).times, [0, 16, 24, 32])
    assert_allclose(r.skip(0, -1).times, [8, 16, 24])
    assert amounts(r.scaled(2.5)) == [25.0] * 5
    assert len(r) == 5  # the original is unchanged


def test_zero_dose_is_allowed_as_placebo():
    assert Regimen.single(0)[0].amount == 0.0


@pytest.mark.parametrize(
    "build,err,message",
    [
        (lambda: Regimen.single("5 mL"), UnitError, r"^`dose` must be a mass \(got 5 mL\); write e.g. '12.5 mg'\.$"),
        (lambda: Regimen.single("-5 mg"), InputError, r"^`dose` must not be negative \(got -5 mg\)"),
        (lambda: Regimen.single(float("nan")), InputError, r"^`dose` must be a finite amount"),
        (lambda: Regimen.repeated(every="0 h", count=3), InputError, r"^`every` must be greater than zero"),
        (lambda: Regimen.repeated(every=8, count=0), InputError, r"^`count` must be a whole number >= 1 \(got 0\)"),
        (lambda: Regimen.repeated(every=8, count=2.5), InputError, r"^`count` must be a whole number"),
        (lambda: Regimen.repeated(every=8, count=3, until="1 day"), InputError, r"exactly one of `count` and `until` \(got both\)"),
        (lambda: Regimen.repeated(every=8), InputError, r"exactly one of `count` and `until` \(got neither\)"),
        (lambda: Regimen.repeated(every=8, until="-1 h"), InputError, r"`until` \(-1 h\) must come after the first dose"),
        (lambda: Regimen.single(route="orl"), InputError, r"^`route` must be one of oral, .* \(got 'orl'\)\. Did you mean 'oral'\?$"),
        (lambda: Regimen.single(route="iv"), InputError, r"Did you mean 'iv_bolus'\?$"),
        (lambda: Regimen.infusion(rate="10 mg/h"), InputError, r"^an infusion needs a duration"),
        (lambda: Regimen.infusion(dose="10 mg"), InputError, r"^an infusion needs a duration"),
        (lambda: Regimen.infusion(), InputError, r"^an infusion needs `rate`"),
        (lambda: Regimen.infusion(rate=1, dose=2, duration=3), InputError, r"not all three"),
        (lambda: Regimen.infusion(rate="10 mg", duration="1 h"), UnitError, r"`rate` must be a mass per time"),
        (lambda: Regimen.single(route="iv_infusion"), InputError, r"^an iv_infusion needs a duration > 0"),
        (lambda: Dose(0, 5, "oral", 2.0), InputError, r"`duration` applies only to route 'iv_infusion'"),
        (lambda: Regimen.single("12.5 mg", at="3 mg"), UnitError, r"`start` must be in units compatible with h"),
        (lambda: Regimen.repeated(every=8, count=3).skip(3), InputError, r"`skip` index 3 is out of range for a regimen of 3 doses"),
        (lambda: Regimen((1, 2)), InputError, r"a Regimen holds Dose objects"),
        (lambda: Regimen.ladder(doses=[], every=8, per_step=2), InputError, r"at least one dose"),
    ],
)
def test_bad_input_names_input_rule_and_fix(build, err, message):
    with pytest.raises(err, match=message) as info:
        build()
    assert isinstance(info.value, PdsimError)
    assert "\n" not in str(info.value)


def test_routes_are_the_documented_five():
    assert ROUTES == ("oral", "iv_bolus", "iv_infusion", "ip", "sc")
