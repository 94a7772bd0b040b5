"""Package layout that pyproject.toml cannot express alone: the packages calc and nncalc_cli
(the command modules beside the entry point cli.py); the top-level problems/ folder installs
as the package-data directory calc/problems (so bundled exercises work from a non-editable
install), and calc/docs/*.md (the conventions page `nncalc conventions` prints)
ships with calc."""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["calc", "calc.*", "nncalc_cli"]) + ["calc.problems"],
    package_dir={"calc.problems": "problems"},
    package_data={"calc": ["docs/*.md"], "calc.zoo": ["*.yaml"], "calc.problems": ["*.yaml", "**/*.yaml", "*.md"]},
)
