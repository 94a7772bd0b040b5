"""Narrators: how each layer kind explains its part of a worked network solution (base.py has
the registry; one module per layer family, each imported on first use)."""
