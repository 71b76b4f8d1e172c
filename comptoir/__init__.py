"""The composition root: the `comptoir` command, `comptoir up` and `comptoir serve`.

The only package that imports several services (`services.<name>.app`, `services.<name>.cli`). Services
and `libs/` never import it (import-linter contracts in pyproject.toml).
"""
