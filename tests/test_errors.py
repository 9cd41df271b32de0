"""Tests of pdsim.errors: each error is also the matching builtin; suggestions are helpful."""
import pytest

from pdsim.errors import (InputError, ModelFileError, PdsimError, ProvenanceError, SolverError, UnitError,
                          UnknownNameError, suggest)


@pytest.mark.parametrize("cls,builtin", [(UnitError, ValueError), (InputError, ValueError),
                                         (UnknownNameError, KeyError), (ModelFileError, ValueError),
                                         (ProvenanceError, ValueError), (SolverError, RuntimeError)])
def test_hierarchy(cls, builtin):
    assert issubclass(cls, PdsimError) and issubclass(cls, builtin)


def test_unknown_name_message_is_not_quoted():
    assert str(UnknownNameError("Unknown drug 'x'.")) == "Unknown drug 'x'."


def test_suggest_close_and_case():
    assert "tianeptine" in suggest("tianeptin", ["tianeptine", "morphine"])
    assert "MOR" in suggest("mor", ["MOR", "SERT"])
    assert suggest("zzzz", []) == ""


def test_suggest_lists_the_known_names_once_when_asked():
    from pdsim.errors import suggest

    assert suggest("rta", ["rat", "mouse"]) == " Did you mean 'rat'?"
    assert suggest("rta", ["rat", "mouse"], known=True) == " Did you mean 'rat'? Known: mouse, rat."
    assert suggest("dog", ["rat", "mouse"], known=True) == " Known: mouse, rat."
    assert suggest("dog", [], known=True) == " Known: none."
