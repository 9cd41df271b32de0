"""The scenario engine's stages: plan -> pk -> forcing -> ode -> assemble (see each module).

`pdsim.simulate` runs them: the plan resolves each arm's systems, the PK stage builds every
subject's exact linear PK, the forcing stage evaluates it (and the target layer and stress) at the
stage times of the step grid, the compiled ODE stage advances the chained downstream systems of all
subjects, and the assembly gathers the variables into a `pdsim.Result`.
"""
