"""Worked-solution builders: each returns a Solution of Step records (never prints)."""
