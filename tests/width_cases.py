"""Every command form nncalc offers, for the 80-column rendering test (tests/test_width.py).

Each case is the argument list of one `nncalc` invocation: every bundled problem through
`solve`, every zoo network through `summary`, the listings, the size commands and the direct
commands on the examples. `python -m tests.width_cases [WIDTH]` prints the lines that break
the rules, for looking at a rendering while fixing it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

DIRECT = [
    ["zoo"], ["layers"], ["problems"], ["conventions"],
    ["memory", "llama-2-7b", "--dtype", "fp16", "--context", "4096", "--gpu", "24GB", "--training"],
    ["size", "conv", "--input", "227", "--kernel", "11", "--stride", "4"],
    ["size", "conv", "-i", "28x27", "-k", "4x3", "-s", "2", "-p", "same", "-d", "2"],
    ["size", "pool", "--input", "112", "--kernel", "3", "--stride", "2", "--ceil-mode"],
    ["size", "transposed", "--input", "3", "--kernel", "3", "--stride", "2", "--padding", "1",
     "--output-padding", "1"],
    ["size", "padding", "--input", "28", "--kernel", "3", "--output", "14", "--stride", "2"],
    ["run", "examples/mazur.yaml", "--input", "examples/mazur-input.yaml", "--activations"],
    ["summary", "examples/sequence-layers.yaml", "--config", "--include", "all"],
    ["summary", "examples/onnx/small-cnn.onnx", "--config"],
    ["train", "examples/xor.yaml", "--data", "examples/xor.csv", "--epochs", "200", "--lr", "1", "--seed", "1"],
    ["softmax", "2.0", "1.0", "0.1", "--jacobian"],
    ["softmax", "3.2", "5.1", "0.7", "1.2", "4.4", "2.5", "0.1", "--jacobian", "--target", "0,1,0,0,0,0,0"],
    ["loss", "mse", "--output", "0.75,0.77", "--target", "0.01,0.99", "--convention", "half"],
    ["perceptron", "and"],
    ["backprop", "examples/one-neuron.yaml", "--input", "-1,-2", "--target", "1", "--convention", "half",
     "--lr", "0.1"],
    ["backprop", "examples/mazur.yaml", "--input", "0.05,0.10", "--target", "0.01,0.99", "--lr", "0.5"],
    ["graph", "q = x + y; f = q * z", "-v", "x=-2", "-v", "y=5", "-v", "z=-4"],
    ["batchnorm", "2", "4", "6", "8", "10", "--gamma", "2", "--beta", "1", "--eps", "0"],
    ["activation", "leaky_relu", "--at=-2,0,3"],
    ["activation", "gelu", "--at=-1,0,1", "--approximate", "tanh"], ["activation", "hardswish", "--at=-3,1,3"],
    ["optimizer", "adam", "--lr", "0.1", "--beta2", "0.99", "--function", "w^2", "--start", "1", "--steps", "2"],
    ["ewma", "25", "13", "17", "--beta", "0.9", "--bias-correction"],
    ["init", "he-normal", "--spec", "alexnet", "--layer", "conv1"],
    ["dropout", "10", "10", "15", "15", "--rate", "0.5", "--mask", "1,0,0,1"],
    ["conv2d", "--input", "1,0,-1;1,0,1;0,1,1", "--kernel", "-1,2;3,1", "--bias", "1"],
    ["conv2d", "--input", "1,2,3,4,5,6;7,8,9,10,11,12;1,2,3,4,5,6;7,8,9,10,11,12;1,2,3,4,5,6;7,8,9,10,11,12",
     "--kernel", "1,0,-1;1,0,-1;1,0,-1", "--padding", "1"],
    ["pool", "--input", "1,1,2,4;5,6,7,8;3,2,1,0;1,2,3,4", "--kernel", "2", "--grad", "0.5,-1;2,0.25",
     "--windows", "none"],
    ["conv-backward", "--input", "1,0,-1;1,0,1;0,1,1", "--kernel", "-1,2;3,1", "--grad", "-0.2,0.2;0.1,-0.1"],
    ["grade", "softmax/softmax-worksheet", "examples/class", "--credit", "carried=0.5"],
    ["generate", "attention", "--count", "2", "--seed", "1", "--gift", "--out",
     str(Path(__import__("tempfile").gettempdir()) / "nncalc-width-generate")],
    ["export", "examples/blocks/gates.yaml"], ["export", "examples/blocks/heads.yaml", "--to", "keras"],
    ["draw", "examples/blocks/skips.yaml"], ["draw", "shufflenet-v2-x1.0"],
]


def problem_ids() -> list[str]:
    from calc.problems_io import problem_index

    return [row["name"] for row in problem_index()]


def zoo_names() -> list[str]:
    return sorted(p.stem for p in (ROOT / "calc" / "zoo").glob("*.yaml"))


TEN_CLASSES = """name: ten-classes
input: [4]
layers:
  - dense: {units: 10, activation: softmax}
"""


def engine_cases(folder: Path) -> list[list[str]]:
    """`run` of a 10-class network and of LeNet-5 on inputs written to `folder`."""
    import numpy as np

    spec, inputs, images = folder / "ten.yaml", folder / "ten-in.yaml", folder / "lenet-in.npy"
    spec.write_text(TEN_CLASSES)
    inputs.write_text("[[0.1, -0.2, 0.3, 0.4], [1, 2, 3, 4], [-1, 0, 1, 0.5]]\n")
    np.save(images, np.random.default_rng(0).random((2, 32, 32, 1)))
    return [["run", str(spec), "--input", str(inputs), "--seed", "1"],
            ["run", str(spec), "--input", str(inputs), "--seed", "1", "--activations"],
            ["run", "lenet5", "--input", str(images), "--seed", "1", "--activations"]]


def convert_cases(folder: Path) -> list[list[str]]:
    """`convert` of the example ONNX model, writing into `folder`."""
    return [["convert", "examples/onnx/mlp.onnx", "-o", str(folder / "mlp-from-onnx.yaml")]]


def check_cases() -> list[list[str]]:
    """`check` of every handwritten answers file whose name matches a bundled problem's."""
    names = {pid.rsplit("/", 1)[-1]: pid for pid in problem_ids()}
    return [["check", names[path.stem], "--answers", str(path.relative_to(ROOT))]
            for path in sorted((ROOT / "examples" / "handwritten").glob("*.yaml")) if path.stem in names]


def all_cases(folder: Path) -> list[list[str]]:
    return (DIRECT + engine_cases(folder) + convert_cases(folder) + check_cases() + [["solve", pid] for pid in problem_ids()] + [["summary", n] for n in zoo_names()]
            + [["summary", "googlenet", "--config"], ["summary", "mnist-cnn", "--keras", "--include", "all"]])


# a bare integer of 5+ digits (no separators); not a dimension in a layer config ('25088 -> 4096')
COUNT = re.compile(r"(?<![\d.,/\-eE])(?<!-> )\d{5,}(?![\d.])(?! ->)")


def problems_in(text: str, width: int) -> list[str]:
    """What breaks the rules: lines wider than the terminal, cut cells, trailing spaces, bare counts.

    Counts are not checked in an exercise's question, source and notes: they quote course documents
    as written."""
    found = []
    quoting = "(source:" in text.split("\nConventions\n")[0]  # an exercise's question comes first
    for n, line in enumerate(text.splitlines(), 1):
        if line in ("Conventions", "Notes on this exercise"):
            quoting = line != "Conventions"
        if len(line) > width:
            found.append(f"line {n} has {len(line)} characters: {line[:60]}...")
        if "\u2026" in line:
            found.append(f"line {n} is cut with '\u2026': {line.strip()[:70]}")
        if line != line.rstrip():
            found.append(f"line {n} ends in spaces")
        if not quoting and COUNT.search(line):
            found.append(f"line {n} has a count without separators: {line.strip()[:70]}")
    return found


def render(args: list[str], width: int) -> tuple[int, str]:
    import os

    from typer.testing import CliRunner

    import cli

    os.chdir(ROOT)
    result = CliRunner().invoke(cli.app, args, env={"COLUMNS": str(width), "NO_COLOR": "1", "TERM": "dumb"})
    return result.exit_code, result.stdout


if __name__ == "__main__":
    width = int(sys.argv[1]) if len(sys.argv) > 1 else 80
    only = sys.argv[2:]
    import tempfile

    bad = 0
    cases = all_cases(Path(tempfile.mkdtemp()))
    for case in cases:
        if only and not any(o in " ".join(case) for o in only):
            continue
        code, out = render(case, width)
        issues = problems_in(out, width) + ([f"exit {code}"] if code not in (0, 1) else [])
        if issues:
            bad += 1
            print("nncalc " + " ".join(case))
            for i in issues[:6]:
                print("   ", i)
            if len(issues) > 6:
                print(f"    ... {len(issues) - 6} more")
    print(f"{bad} of {len(cases)} cases break the rules at {width} columns")
