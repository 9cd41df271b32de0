"""The scenario engine: `pdsim.simulate` runs its stages, plan -> pk -> forcing -> ode | stiff -> assemble.

Each downstream system registers itself in ``registry`` (name, factory, chain order, stiff, optional jac).

1. ``plan``: resolve a scenario once: per arm its systems (names checked against the registry),
   its chunks of subjects and its ODE method (`registry.method`: "rodas4" when a system
   registered ``stiff=True``, else "dop853"); `plan.scenario_parameters` gathers every parameter
   the scenario uses. `plan.run_chunks` runs the arms' chunks, in parallel threads.
2. ``pk``: every compound of an arm (dosed drugs and the metabolites they form), resolved once to
   its drug (`pdsim.catalog.DrugName`; the scenario's own drugs first, so nothing below looks a
   name up again), with each subject's parameters drawn, as exact linear PK (or, for a drug that
   inactivates its own CYP2D6, `pdsim.pk.CypInactivation` integrated to 1e-12 between dose edges).
3. ``forcing``: the step grid (landing on every output time, dose and stress edge, graded after
   each edge) and the times at which the solver's stages read their inputs; the inputs are the PK
   closed forms, the target layer and the stress protocol evaluated exactly there.
4. ``ode`` (explicit, fixed-step DOP853) or ``stiff`` (Rosenbrock RODAS4, with a registered or
   finite-difference Jacobian): the arm's chained systems advanced for all subjects, compiled
   with numba.
5. ``assemble``: one chunk of an arm from PK through the target layer to the systems, every
   variable at the output times; `pdsim.simulate` gathers the chunks into a `pdsim.Result`.

Every arm takes this path, the reference benchmark's too: no system has a kernel of its own.
"""
