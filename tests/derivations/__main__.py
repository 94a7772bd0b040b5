"""python -m tests.derivations NAME [KEY ...]: print a problem's independently derived values as YAML."""

import sys

from tests.derivations import load_all, yaml_block

if __name__ == "__main__":
    table = load_all()
    if len(sys.argv) < 2 or sys.argv[1] not in table:
        print("derivations:", ", ".join(sorted(table)))
        sys.exit(1)
    values = table[sys.argv[1]]()
    print(yaml_block(values, sys.argv[2:] or None))
