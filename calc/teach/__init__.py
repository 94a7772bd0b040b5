"""Teaching tools built on the solvers: exercise variants (generate) and gradebooks (grade)."""
