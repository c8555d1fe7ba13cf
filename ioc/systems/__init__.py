"""Systems declared by configuration (spec files): the spec model, its KPIs' arithmetic and the
simulator's plan. See :mod:`ioc.systems.spec` and docs/systems.md."""
