"""Grids and curves drawn with matplotlib (issue 14): `size conv|pool|transposed --plot` and
`train --plot`. The geometry is checked against PyTorch (output shapes, and which input cells
one output reads, from autograd); the images by their size and pixel probes at cell centres."""

from __future__ import annotations

import pytest

from tests.width_cases import ROOT

pytest.importorskip("matplotlib")
torch = pytest.importorskip("torch")

from calc.pictures.grid_picture import CELL, COLOURS, layout, window_plan  # noqa: E402

CASES = [  # kind, input, kernel, stride, padding, dilation, output padding, at
    ("conv", (5, 5), (3, 3), (2, 2), (1, 1), (1, 1), (0, 0), (1, 1)),
    ("conv", (9, 7), (3, 2), (2, 1), (0, 1), (2, 3), (0, 0), (2, 3)),
    ("pool", (4, 4), (2, 2), (2, 2), (0, 0), (1, 1), (0, 0), (1, 0)),
    ("transposed", (3, 3), (3, 3), (2, 2), (1, 1), (1, 1), (1, 1), (1, 2)),
    ("transposed", (2, 3), (2, 3), (3, 1), (0, 1), (1, 2), (0, 0), (3, 4)),
]


def _torch_reads(kind, size, kernel, stride, padding, dilation, output_padding, at):
    """Output shape, and the input cells (unpadded, row/col) that output ``at`` depends on."""
    x = torch.ones(1, 1, *size, dtype=torch.float64, requires_grad=True)
    w = torch.ones(1, 1, *kernel, dtype=torch.float64)
    if kind == "transposed":
        y = torch.nn.functional.conv_transpose2d(x, w, stride=stride, padding=padding, output_padding=output_padding,
                                                 dilation=dilation)
    else:
        y = torch.nn.functional.conv2d(x, w, stride=stride, padding=padding, dilation=dilation)
    y[0, 0, at[0], at[1]].backward()
    return tuple(y.shape[2:]), {tuple(ix) for ix in (x.grad[0, 0] != 0).nonzero().tolist()}


def _input_index(plan, kind, size, stride, padding, dilation, kernel):
    """Grid cell -> input cell, from the picture's own rule (padding, zeros between inputs)."""
    index = {}
    for axis in range(2):
        before = dilation[axis] * (kernel[axis] - 1) - padding[axis] if kind == "transposed" else padding[axis]
        step = stride[axis] if kind == "transposed" else 1
        index[axis] = {before + j * step: j for j in range(size[axis])}
    return {(r, c): (index[0][r], index[1][c]) for r in index[0] for c in index[1]}


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_the_window_reads_what_torch_says(case):
    kind, size, kernel, stride, padding, dilation, op, at = case
    plan = window_plan(kind, size, kernel, stride, padding, dilation, op, at)
    shape, reads = _torch_reads(*case)
    assert plan.out == shape
    where = _input_index(plan, kind, size, stride, padding, dilation, kernel)
    on_input = {where[t] for t in plan.taps if t in where}
    assert on_input == reads
    assert all(plan.cells[r][c] == "input" for r, c in plan.taps if (r, c) in where)
    assert all(plan.cells[r][c] != "input" for r, c in plan.taps if (r, c) not in where)


def _pixel(image, row_cell: float, col_cell: float):
    return tuple(int(round(v * 255)) for v in image[int(row_cell * CELL), int(col_cell * CELL)][:3])


def _rgb(hex_colour: str):
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


def test_conv_picture_pixels(cli, tmp_path):
    """5x5 input, padding 1, kernel 3, stride 2: output 3x3; the window for output (1, 1) starts at
    padded cell (2, 2); the padded grid's corner is padding."""
    import matplotlib.image as mpimg

    target = tmp_path / "conv.png"
    code, out, err = cli("size", "conv", "-i", "5", "-k", "3", "-s", "2", "-p", "1", "--plot", str(target))
    assert code == 0 and "output 3" in out and err == f"wrote {target} (PNG)\n"
    image = mpimg.imread(target)
    plan = window_plan("conv", (5, 5), (3, 3), (2, 2), (1, 1), (1, 1))
    height, width = layout(plan)["size"]
    assert image.shape[:2] == (height * CELL, width * CELL) == (9 * CELL, 14 * CELL)  # margins, 7 + 2 + 3
    grid_top, grid_left = 1, 1
    assert _pixel(image, grid_top + 0.5, grid_left + 0.5) == _rgb(COLOURS["pad"])
    assert _pixel(image, grid_top + 1.5, grid_left + 1.5) == _rgb(COLOURS["input"])  # input (0, 0), not read
    for r, c in [(2, 2), (2, 4), (4, 3)]:
        assert _pixel(image, grid_top + r + 0.5, grid_left + c + 0.5) == _rgb(COLOURS["tap"])
    assert _pixel(image, grid_top + 5.5, grid_left + 5.5) == _rgb(COLOURS["input"])  # input (4, 4), not read
    out_left = 1 + 7 + 2
    assert _pixel(image, 1 + 1.5, out_left + 1.5) == _rgb(COLOURS["made"])
    assert _pixel(image, 1 + 0.5, out_left + 0.5) == _rgb(COLOURS["out"])


def test_dilated_taps_skip_cells(cli, tmp_path):
    import matplotlib.image as mpimg

    target = tmp_path / "dilated.png"
    code, _, _ = cli("size", "conv", "-i", "9", "-k", "3", "-d", "2", "-s", "2", "--plot", str(target), "--at", "0,0")
    image = mpimg.imread(target)
    assert _pixel(image, 1.5, 1.5) == _pixel(image, 1.5, 3.5) == _rgb(COLOURS["tap"])
    assert _pixel(image, 1.5, 2.5) == _rgb(COLOURS["input"])  # the hole dilation 2 leaves


def test_transposed_picture_has_zeros_between_inputs(cli, tmp_path):
    import matplotlib.image as mpimg

    target = tmp_path / "t.png"
    code, out, _ = cli("size", "transposed", "-i", "3", "-k", "3", "-s", "2", "-p", "1", "--output-padding", "1",
                       "--plot", str(target), "--at", "5,5")
    assert code == 0 and "output 6" in out
    image = mpimg.imread(target)
    # grid: 1 pad, input, zero, input, zero, input, 1 pad + 1 output padding = 8 cells
    assert image.shape[:2] == ((2 + 8) * CELL, (1 + 8 + 2 + 6 + 1) * CELL)
    assert _pixel(image, 1 + 1.5, 1 + 1.5) == _rgb(COLOURS["input"])
    assert _pixel(image, 1 + 1.5, 1 + 2.5) == _rgb(COLOURS["zero"])
    assert _pixel(image, 1 + 0.5, 1 + 0.5) == _rgb(COLOURS["pad"])


def test_training_curve_falls(cli, tmp_path):
    import matplotlib.image as mpimg
    import numpy as np

    from calc.pictures.curve_picture import LOSS

    target = tmp_path / "curve.png"
    code, _, err = cli("train", str(ROOT / "examples/xor.yaml"),
                       "--data", str(ROOT / "examples/xor.csv"), "--epochs", "200", "--lr", "1", "--seed", "1",
                       "--plot", str(target))
    assert code == 0 and err.endswith(f"wrote {target} (PNG)\n")
    image = (mpimg.imread(target)[:, :, :3] * 255).round().astype(int)
    assert image.shape[:2] == (400, 640)
    rows, cols = np.nonzero(np.abs(image - np.array(_rgb(LOSS))).sum(axis=2) < 30)
    left, right = rows[cols < cols.min() + 40].mean(), rows[cols > cols.max() - 40].mean()
    assert left < right  # the loss line starts high (top of the image) and ends low


def test_plot_errors_are_one_line_and_print_nothing(cli, tmp_path, monkeypatch):
    code, out, err = cli("size", "conv", "-i", "5", "-k", "3", "--plot", str(tmp_path / "x.txt"))
    assert code == 2 and out == "" and ".png" in err and err.count("\n") == 1
    code, out, err = cli("size", "conv", "-i", "5", "-k", "3", "--at", "1,1")
    assert code == 2 and "--plot" in err
    code, out, err = cli("size", "conv", "-i", "5", "-k", "3", "--plot", str(tmp_path / "x.png"), "--at", "3,0")
    assert code == 2 and out == "" and "rows 0..2" in err
    monkeypatch.setitem(__import__("sys").modules, "matplotlib", None)
    code, out, err = cli("size", "conv", "-i", "5", "-k", "3", "--plot", str(tmp_path / "x.png"))
    assert code == 2 and out == "" and 'pip install "nncalc[plot]"' in err
