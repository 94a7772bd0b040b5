"""Pictures drawn by the real programs: Graphviz's ``dot`` and mermaid-cli's ``mmdc``.

test_pictures.py reads nncalc's DOT with pydot and its Mermaid with a line reader; here the
programs that draw them do, and their output is read back: the SVG's nodes and texts (what a
reader sees), the PNG's size and pixels, the PDF's header. Skipped where the program is absent
(``dot``: apt install graphviz, which .ci/run does when it can; ``mmdc``: NNCALC_MMDC or PATH,
with NNCALC_PUPPETEER_CONFIG or a system chromium, see benchmarks/render_mermaid.py).
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET

import pytest

from tests.width_cases import ROOT

SVG = "{http://www.w3.org/2000/svg}"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
HOSTILE = ['end', '<script>&"q"', 'x\\ny', 'é→∑ 😀 #lt; &amp;', 'a|b [c] (d) {e}']


def _hostile_spec(tmp_path):
    spec = tmp_path / "hostile.yaml"
    layers = "".join(f"  - dense: {{units: 4, name: '{name}'}}\n" for name in HOSTILE)
    spec.write_text(f"name: 'a <b> & \"c\" end'\ninput: [4]\nlayers:\n{layers}", encoding="utf-8")
    return spec


def _svg_groups(path, kind: str) -> list:
    """The <g class=KIND> groups of a Graphviz SVG (node, edge, cluster)."""
    return [g for g in ET.parse(path).getroot().iter(f"{SVG}g") if g.get("class") == kind]


def _texts(group) -> list[str]:
    return [t.text or "" for t in group.iter(f"{SVG}text")]


def _png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@needs_dot
def test_resnet18_svg_has_every_layer(cli, tmp_path):
    """torchvision's resnet18, one <g class="node"> per layer, its name and type as its first
    text: 20 convolutions and 20 batch norms (17 + 3 projections), 17 ReLUs (the stem's, two per
    basic block), 8 residual adds; the parameters on the nodes add up to the published count."""
    code, _, err = cli("draw", "resnet18", "-o", str(tmp_path / "r.svg"))
    assert code == 0 and err.startswith("wrote")
    nodes = _svg_groups(tmp_path / "r.svg", "node")
    firsts = [_texts(n)[0] for n in nodes]
    assert sum(f.endswith(": conv") for f in firsts) == 20 and sum(f.endswith(": add") for f in firsts) == 8
    assert sum(f.endswith(": batchnorm") for f in firsts) == 20 and sum(f.endswith(": relu") for f in firsts) == 17
    assert firsts[0] == "input" and "fc1: dense" in firsts
    boxes = [_texts(c)[0].split(" (")[-1] for c in _svg_groups(tmp_path / "r.svg", "cluster")]
    assert sorted(boxes) == sorted(["basic)"] * 8 + ["residual)"] * 8 + ["projection)"] * 3 + ["stage)"] * 3)
    params = sum(int(t.split()[0].replace(",", "")) for n in nodes for t in _texts(n) if t.endswith(" params"))
    assert params == 11_689_512  # torchvision's published count


@needs_dot
def test_hostile_names_are_drawn_as_written(cli, tmp_path):
    """Quotes, backslashes, '&amp;', '<', '|', brackets and non-ASCII reach the picture verbatim."""
    code, _, _ = cli("draw", str(_hostile_spec(tmp_path)), "-o", str(tmp_path / "h.svg"))
    assert code == 0
    firsts = [_texts(n)[0] for n in _svg_groups(tmp_path / "h.svg", "node")]
    assert firsts == ["input"] + [f"{name}: dense" for name in HOSTILE]
    title = ET.parse(tmp_path / "h.svg").getroot().find(f"{SVG}g/{SVG}title").text
    assert title == 'a <b> & "c" end'


@needs_dot
def test_png_and_pdf(cli, tmp_path):
    """A PNG taller than wide (a chain of 14 layers), white at its corners, dark where it draws;
    a PDF that is one."""
    from_png = tmp_path / "l.png"
    assert cli("draw", "lenet5", "-o", str(from_png))[0] == 0
    width, height = _png_size(from_png)
    assert 100 < width < height < 32_767
    image = pytest.importorskip("PIL.Image").open(from_png).convert("L")
    corners = [image.getpixel(p) for p in [(0, 0), (width - 1, 0), (0, height - 1), (width - 1, height - 1)]]
    assert corners == [255] * 4
    dark = sum(image.histogram()[:100])
    assert 0.005 < dark / (width * height) < 0.2
    assert cli("draw", "lenet5", "-o", str(tmp_path / "l.pdf"))[0] == 0
    assert (tmp_path / "l.pdf").read_bytes()[:5] == b"%PDF-"


@needs_dot
def test_a_png_too_tall_is_shrunk_and_says_so(cli, tmp_path):
    """ResNet-152 is over 32,767 pixels tall at 96 dpi: cairo scales it down; one note says so."""
    code, _, err = cli("draw", "resnet152", "-o", str(tmp_path / "r.png"))
    assert code == 0 and "note: drawn at" in err and ".svg" in err
    assert max(_png_size(tmp_path / "r.png")) <= 32_767
    assert all(len(line) <= 80 for line in err.splitlines()[1:])


@needs_dot
def test_cs231n_neuron_svg(cli):
    """cs231n's sigmoid neuron: 5 inputs and 8 gates, 12 edges; gradients as the notes give them
    (w0 -0.20, x0 0.39, w1 -0.39, x1 -0.59, w2 0.20); w1 drawn above x1 (operands in order)."""
    code, out, _ = cli("graph", "f = 1/(1+exp(-(w0*x0+w1*x1+w2)))", "-v", "w0=2", "-v", "x0=-1", "-v", "w1=-3",
                       "-v", "x1=-2", "-v", "w2=-3", "--dot", "--decimals", "2")
    svg = subprocess.run(["dot", "-Tsvg"], input=out, capture_output=True, text=True, check=True).stdout
    root = ET.fromstring(svg)
    nodes = [g for g in root.iter(f"{SVG}g") if g.get("class") == "node"]
    assert len(nodes) == 13 and sum(g.get("class") == "edge" for g in root.iter(f"{SVG}g")) == 12
    grads = dict(t.split(" = ") for n in nodes for t in _texts(n) if t.startswith("df/d") and ":" not in _texts(n)[0])
    assert grads == {"df/dw0": "-0.2", "df/dx0": "0.39", "df/dw1": "-0.39", "df/dx1": "-0.59", "df/dw2": "0.2"}
    y = {_texts(n)[0].split(" = ")[0]: float(n.find(f"{SVG}text").get("y")) for n in nodes}
    assert y["w0"] < y["x0"] < y["w1"] < y["x1"]


@needs_dot
def test_the_notebook_svg(cli):
    """calc.notebook's SVG of a network is Graphviz's drawing, one node per layer: mnist-mlp's
    784 -> 16 -> 16 -> 10 has three dense layers, 12,560 + 272 + 170 = 13,002 parameters."""
    from calc.network import load_network
    from calc.notebook import SVG as FORMATTERS

    svg = FORMATTERS[("calc.network", "Network")](load_network("mnist-mlp"))
    nodes = [g for g in ET.fromstring(svg).iter(f"{SVG}g") if g.get("class") == "node"]
    firsts = [_texts(g)[0] for g in nodes]
    assert firsts[0] == "input" and sum(f.endswith(": dense") for f in firsts) == 3
    assert [t for g in nodes for t in _texts(g) if t.endswith("params")] == [
        "12,560 params", "272 params", "170 params"]


@needs_dot
@pytest.mark.parametrize("spec", sorted(str(p.relative_to(ROOT)) for p in (ROOT / "examples" / "blocks").glob("*.yaml")
                                        if p.stem != "bad-skip") + ["googlenet", "unet", "bert-base"])
def test_dot_draws_without_warnings(cli, spec):
    """Graphviz accepts every DOT nncalc writes without a warning (a bad attribute or a syntax slip
    is a warning, and an undrawn picture)."""
    code, dot_text, _ = cli("draw", str(ROOT / spec) if spec.endswith(".yaml") else spec)
    assert code == 0
    done = subprocess.run(["dot", "-Tsvg", "-o", "/dev/null"], input=dot_text, capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr == ""


# -- Mermaid, drawn by mermaid-cli ---------------------------------------------------------------
def _mmdc():
    from benchmarks.render_mermaid import mmdc_program

    program = mmdc_program()
    if program is None:
        pytest.skip("mermaid-cli's mmdc is not installed (NNCALC_MMDC or PATH)")
    return program


def _mermaid_svg(chart: str, tmp_path, name: str):
    """mmdc's SVG of ``chart`` (fails with mmdc's own error line), as an element tree."""
    from benchmarks.render_mermaid import puppeteer_config, render

    error = render(chart, tmp_path / f"{name}.svg", _mmdc(), puppeteer_config(tmp_path))
    assert error == ""
    return ET.parse(tmp_path / f"{name}.svg").getroot()


def _mermaid_nodes(root) -> dict[str, str]:
    """Mermaid's node id (n3) -> the text it shows, its lines run together."""
    found = {}
    for g in root.iter(f"{SVG}g"):
        if (g.get("class") or "").startswith("node ") and g.get("id"):
            found[g.get("id").split("-")[-2]] = "".join(g.itertext())
    return found


def test_mermaid_draws_hostile_names_as_written(cli, tmp_path):
    """'end' (Mermaid's keyword), quotes, '<', '&amp;', '|', brackets, a backslash-n and emoji."""
    code, chart, _ = cli("draw", str(_hostile_spec(tmp_path)), "--mermaid")
    nodes = _mermaid_nodes(_mermaid_svg(chart, tmp_path, "hostile"))
    shown = [text.replace("\u200b", "") for text in nodes.values()]  # the zero-width space after a backslash
    assert shown == ["input4"] + [f"{name}: dense4 -> 4{4 * 4 + 4} params" for name in HOSTILE]


def test_mermaid_draws_the_unet_and_the_graph(cli, tmp_path):
    """The docs' two charts: examples/blocks/skips.yaml (28 layers and the input, 5 blocks) and
    cs231n's q = x + y; f = q * z (3 inputs, 2 gates, df/dx = df/dy = -4, df/dz = 3)."""
    code, chart, _ = cli("draw", str(ROOT / "examples/blocks/skips.yaml"), "--mermaid")
    root = _mermaid_svg(chart, tmp_path, "skips")
    assert len(_mermaid_nodes(root)) == 28
    assert sum((g.get("class") or "") == "cluster" for g in root.iter(f"{SVG}g")) == 5
    code, md, _ = cli("graph", "q = x + y; f = q * z", "-v", "x=-2", "-v", "y=5", "-v", "z=-4", "--markdown", "-")
    chart = md.split("```mermaid\n")[1].split("```")[0]
    texts = _mermaid_nodes(_mermaid_svg(chart, tmp_path, "graph")).values()
    assert {"x = -2df/dx = -4", "y = 5df/dy = -4", "z = -4df/dz = 3", "f: q * z= -12df/df = 1"} <= set(texts)


def test_mermaid_draws_resnet152_cut_to_its_limits(cli, tmp_path):
    """ResNet-152 has 565 edges, over Mermaid's 500: the chart leaves out 33 of stage 3's 36
    bottlenecks (its first, with the projection, and the second and last stay) and says so."""
    code, chart, _ = cli("draw", "resnet152", "--mermaid")
    nodes = _mermaid_nodes(_mermaid_svg(chart, tmp_path, "resnet152"))
    notes = [t for t in nodes.values() if "not drawn" in t]
    assert notes == ["33 more bottleneck blocksbottleneck14 ... bottleneck46not drawn: the chart is overMermaid's size limits"]


@needs_dot
def test_the_notebook_shows_graphviz_svgs():
    """examples/notebook.ipynb run by a real kernel: the graph (cs231n's neuron: 5 inputs, 8 gates)
    and the network (skips.yaml: 28 layers and the input) carry Graphviz's SVG beside the chart."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    notebook = nbformat.read(ROOT / "examples" / "notebook.ipynb", as_version=4)
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "examples")}}).execute()
    svgs = [o["data"]["image/svg+xml"] for cell in notebook.cells if cell.cell_type == "code"
            for o in cell.outputs if "image/svg+xml" in o.get("data", {})]
    counts = [sum(g.get("class") == "node" for g in ET.fromstring(svg).iter(f"{SVG}g")) for svg in svgs]
    assert counts == [13, 28]
