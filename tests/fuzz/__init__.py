"""Fuzzing the loaders and the CLI (issue 11): ``make fuzz``, and a small profile in make test."""
