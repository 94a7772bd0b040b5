"""examples/notebook.ipynb runs (nbclient, a real kernel) and its results display themselves as
Markdown with no extra step: importing calc registers the display (issue 14, "In notebooks"). The numbers checked are
published or derived by hand, not taken from nncalc."""

from __future__ import annotations

import pytest

from tests.width_cases import ROOT

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")


@pytest.fixture(scope="module")
def shown() -> list[str]:
    """The Markdown each code cell displayed, in order ('' for a cell that displayed none)."""
    notebook = nbformat.read(ROOT / "examples" / "notebook.ipynb", as_version=4)
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "examples")}}).execute()
    out = []
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert not [o for o in cell.outputs if o.output_type == "error" or o.get("name") == "stderr"], cell.outputs
            markdown = [o["data"]["text/markdown"] for o in cell.outputs if "text/markdown" in o.get("data", {})]
            out.append("".join(markdown))
    return out


def test_summary_shows_lenet5_published_count(shown):
    assert "61,706" in shown[0] and shown[0].lstrip().startswith("#")  # LeCun et al. 1998


def test_worked_solution_is_markdown_with_latex_and_a_chart(shown):
    text = shown[1]
    assert text.startswith("# Computational graph of q = x + y; f = q * z")
    assert "```mermaid" in text
    assert "df/dx = -4" in text and "df/dz = 3" in text  # by hand: df/dx = z, df/dz = x + y


def test_graph_is_a_mermaid_chart_with_cs231n_gradients(shown):
    text = shown[2]
    assert "```mermaid\nflowchart LR" in text
    # cs231n: sigma(1)(1 - sigma(1)) = 0.19661..., times x0 = -1, w0 = 2, x1 = -2, w1 = -3
    for line in ("df/dw0 = -0.1966", "df/dx0 = 0.3932", "df/dw1 = -0.3932", "df/dx1 = -0.5898", "df/dw2 = 0.1966"):
        assert line in text


def test_network_is_a_chart_with_its_skips(shown):
    text = shown[3]
    assert "flowchart TB" in text and text.count("-.->") == 2 and '"with enc1"' in text


def test_check_report_names_the_wrong_answer(shown):
    rows = {line.split("|")[1].strip(): line for line in shown[4].splitlines() if line.startswith("| `")}
    assert "wrong" in rows["`p3`"].lower()  # 1.11 / 11.22 = 0.099, not 0.91
    assert "wrong" not in rows["`p2`"].lower()


def test_svg_comes_from_graphviz_when_installed(tmp_path, monkeypatch):
    """The SVG formatter pipes the DOT to `dot -Tsvg` and shows nothing without it."""
    from calc import notebook
    from calc.network import load_network

    monkeypatch.setenv("PATH", str(tmp_path))
    network = load_network("lenet5")
    assert notebook.SVG[("calc.network", "Network")](network) is None
    fake = tmp_path / "dot"
    fake.write_text(f'#!/bin/sh\necho "$@" > "{tmp_path}/args"\n/bin/cat\n')  # echoes the DOT back as "SVG"
    fake.chmod(0o755)
    shown = notebook.SVG[("calc.network", "Network")](network)
    assert (tmp_path / "args").read_text().split() == ["-Tsvg"]
    assert shown.startswith('digraph "lenet5"') and "conv1: conv" in shown
