"""The command modules of nncalc, one per area; cli.py (the `nncalc` entry point) loads only the one that runs.

A command module only parses, calls calc and renders. Command modules never import each other:
what two of them share is in `options` (option types, choices) or `common` (output, groups).
"""
