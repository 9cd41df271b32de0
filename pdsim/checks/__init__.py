"""Claims as checks, one module per area; each function is registered with `pdsim.validation.check`.

Modules: receptors and PK (`theory`), targets (`targets`), downstream systems (`effects`), patient
covariates (`patients`).
"""
