"""The command modules of nncalc, one per area; cli.py (the `nncalc` entry point) loads only the one that runs.

A command module only parses, calls calc and emits. Command modules never import each other
(an import-linter contract): what two of them share is in `options` (option types, choices),
`output` (emit: terminal, --json, --markdown), `common` (the command group, click access) or
`answers` (--answers FILE and `nncalc check`).
"""
