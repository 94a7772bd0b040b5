"""Package layout that pyproject.toml cannot express alone: the packages calc and nncalc_cli
(the command modules beside the entry point cli.py); the top-level problems/ folder installs
as the package-data directory calc/problems (so bundled exercises work from a non-editable
install), and calc/docs/*.md (the conventions page `nncalc conventions` prints)
ships with calc."""

from pathlib import Path

from setuptools import find_packages, setup

TOPICS = sorted(p.name for p in Path(__file__).parent.joinpath("problems").iterdir() if p.is_dir() and p.name[0] != "_")
PROBLEMS = ["calc.problems", *(f"calc.problems.{t}" for t in TOPICS)]  # each folder a data package

setup(
    packages=find_packages(include=["calc", "calc.*", "nncalc_cli"]) + PROBLEMS,
    package_dir={"calc.problems": "problems"},
    package_data={"calc": ["docs/*.md"], "calc.zoo": ["*.yaml"], "calc.problems": ["*.yaml", "*.md"],
                  **{p: ["*.yaml"] for p in PROBLEMS[1:]}},
)
