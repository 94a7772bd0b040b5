"""A hypothesis fuzzer for the nncalc command line (issue 10).

Every case must end with exit 0, 1 or 2, without a traceback, within a time and a memory bound.
``tests/test_fuzz_cli.py`` runs a fixed sample in the default test run; ``python -m tests.fuzz
--cases 10000`` is the long run, which keeps going past failures and reports each distinct one
once (the shortest command line that showed it).
"""
