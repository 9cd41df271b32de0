"""Structural and synaptic plasticity: dendrites (CA3, basolateral amygdala), dentate proliferation, volume, LTP.

Slow turnover states driven by stress, the drug signal and hippocampal BDNF (models/systems/plasticity.toml).
"""
from __future__ import annotations

from collections.abc import Mapping

from ..engine.registry import ArmContext, SystemSpec, register
from .turnover import TurnoverModel, turnover_jac

__all__ = ["PlasticityModel"]


class PlasticityModel(TurnoverModel):
    r"""Structural and synaptic plasticity as indirect-response states (fact sheet F6, F12).

    Each state follows the `pdsim.effects.turnover.TurnoverModel` equation

    .. math::

        \frac{dR}{dt} = k_{out}\left[f_s^{\,s(t)(1 - pD)}\,(1 + (f_d - 1)D)\,X^{\gamma} - R\right]

    with the states of models/systems/plasticity.toml:

    ``ca3_dendrite_length``, ``ca3_branch_points``
        Stress lowers production (stress.dendrites.ca3_retraction); the drug prevents it (p) and
        hippocampal BDNF drives regrowth (driver X = ``effect.bdnf_hippocampus``, so the BDNF
        model must be listed before this one). Under continued stress the drug's protection lets
        the atrophied state relax back to baseline: prevention and reversal share one mechanism
        (tianeptine.dendrites.prevents_and_reverses).
    ``bla_dendrite_length``, ``bla_branch_points``
        Stress raises production (stress.dendrites.bla_hypertrophy); the drug prevents it.
    ``precursor_proliferation``
        Dentate granule-precursor proliferation. The production fold during full stress is not
        a free number: it is solved at load time so that the daily-mean periodic steady state
        under the ``psychosocial_stress`` protocol is 0.67 of baseline, the −33 % of Czéh et al.
        2001 (see `pdsim.effects.turnover.stress_fold_for_steady_state`):

        .. math:: \sum_k w_k f_s^{\,i_k} = 0.67

    ``hippocampal_volume``
        Small stress-induced decrease, prevented by the drug (czeh2001).
    ``ltp_capacity``
        Fast index (hours): acute stress impairs LTP, the drug reverses the loss and enhances LTP
        in unstressed animals.

    Inputs: ``"stress"``, the drug signal (default ``"signal.MOR"``) and
    ``"effect.bdnf_hippocampus"`` (from `pdsim.effects.turnover.BDNFSignalling`).
    Outputs: the states, as ``effect.<state>``. Effect sizes other than −33 % were not found in a
    source (fact sheet G) and are assumed; the file gives each reason.

    References
    ----------
    .. [czeh2001] Czéh B et al. PNAS 2001;98(22):12796–12801. doi:10.1073/pnas.211427898
    .. [watanabe1992] Watanabe Y et al. Eur J Pharmacol 1992;222:157–162.
    .. [luine1994] Luine V et al. Brain Res 1994;639:167–170. doi:10.1016/0006-8993(94)91778-7
    .. [dayneka1993] Dayneka NL, Garg V, Jusko WJ. J Pharmacokinet Biopharm 1993;21:457–478.
    """

    def __init__(self, drive: str | None = None, scale: Mapping[str, float] | None = None):
        super().__init__("plasticity", drive=drive, scale=scale)


def _build(ctx: ArmContext) -> PlasticityModel:
    return PlasticityModel()


register(SystemSpec("plasticity", _build, order=50, parameters="models/systems/plasticity.toml",
                    description="Dendrites (CA3, BLA), dentate proliferation, hippocampal volume and LTP as turnover states (reads hippocampal BDNF: list bdnf too)",
                    jac=turnover_jac))
