"""Bundled exercises (the repository's problems/ folder, installed as calc.problems)."""
