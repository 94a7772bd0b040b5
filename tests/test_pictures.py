"""Pictures (issue 14): `graph --dot`, `draw` (DOT and Mermaid), Mermaid in graph solutions.

The DOT is read back with pydot (an independent parser) and checked structurally; the numbers on
it against published figures (cs231n's sigmoid neuron, torchvision's ResNet-18 and ShuffleNetV2
parameter counts) and PyTorch's autograd; never against nncalc's own output.
"""

from __future__ import annotations

import re
from fractions import Fraction

import pytest

from tests.width_cases import ROOT

pydot = pytest.importorskip("pydot")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pydot's parser on newer pyparsing

SIGMOID = "f = 1/(1+exp(-(w0*x0+w1*x1+w2)))"
SIGMOID_VALUES = ["-v", "w0=2", "-v", "x0=-1", "-v", "w1=-3", "-v", "x1=-2", "-v", "w2=-3"]


def _parse(text: str):
    graphs = pydot.graph_from_dot_data(text)
    assert graphs and len(graphs) == 1
    return graphs[0]


def _all_nodes(graph) -> dict[str, list[str]]:
    """node id -> label lines, through every (nested) cluster."""
    found = {}
    for node in graph.get_nodes():
        if node.get_name() not in ("node", "edge", "graph"):
            found[node.get_name()] = _lines(node.get("label"))
    for sub in graph.get_subgraphs():
        found.update(_all_nodes(sub))
    return found


def _lines(label: str | None) -> list[str]:
    if label is None:
        return []
    text = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', label))  # "a" + "b" pieces joined, as DOT does
    return text.replace('\\"', '"').split("\\n")


def _edges(graph) -> list[tuple[str, str, list[str], bool]]:
    return [(e.get_source(), e.get_destination(), _lines(e.get("label")), e.get("style") == "dashed")
            for e in graph.get_edges()]


def _clusters(graph) -> list:
    out = []
    for sub in graph.get_subgraphs():
        out.append(sub)
        out += _clusters(sub)
    return out


# -- graph --dot ---------------------------------------------------------------------------------
def test_cs231n_sigmoid_neuron_as_dot(cli):
    """cs231n (optimization-2): the gradients on the inputs are -0.20, 0.39, -0.39, -0.59, 0.20."""
    code, out, _ = cli("graph", SIGMOID, *SIGMOID_VALUES, "--dot", "--decimals", "2")
    assert code == 0
    graph = _parse(out)
    nodes = _all_nodes(graph)
    assert len(nodes) == 5 + 8  # five inputs; *, *, +, +, neg, exp, +1, 1/x
    published = {"w0": "-0.2", "x0": "0.39", "w1": "-0.39", "x1": "-0.59", "w2": "0.2"}
    inputs = {lines[0].split(" = ")[0]: lines for lines in nodes.values() if lines[1].startswith("df/d")
              and " = " in lines[0] and ":" not in lines[0]}
    assert {name: lines[1].split(" = ")[1] for name, lines in inputs.items()} == published
    edges = _edges(graph)
    assert len(edges) == 12  # each gate's operands that are not constants
    last = [e for e in edges if nodes[e[1]][0].startswith("f:")]
    assert len(last) == 1 and last[0][2] == ["upstream 1", "local -1/n7^2 = -0.53", "grad -0.53"]


def test_edges_carry_upstream_local_and_their_product(cli):
    """cs231n's first figure: q = x + y = 3, f = q z = -12; df/dz = q = 3, df/dq = z = -4."""
    code, out, _ = cli("graph", "q = x + y; f = q * z", "-v", "x=-2", "-v", "y=5", "-v", "z=-4", "--dot")
    graph = _parse(out)
    nodes, edges = _all_nodes(graph), _edges(graph)
    by_first = {lines[0]: node_id for node_id, lines in nodes.items()}
    q, f, x, z = by_first["q: x + y"], by_first["f: q * z"], by_first["x = -2"], by_first["z = -4"]
    assert nodes[q][1:] == ["= 3", "df/dq = -4"] and nodes[f][1] == "= -12"
    labels = {(s, t): lab for s, t, lab, _ in edges}
    assert labels[(x, q)] == ["upstream -4", "local 1", "grad -4"]
    assert labels[(z, f)] == ["upstream 1", "local q = 3", "grad 3"]
    assert labels[(q, f)] == ["upstream 1", "local z = -4", "grad -4"]
    assert graph.get("rankdir") == "LR"


def test_dot_gradients_agree_with_torch_autograd(cli):
    torch = pytest.importorskip("torch")
    values = {"a": "0.5", "b": "-1.25", "c": "2"}
    expression = "p = a * b + c; f = tanh(p) * exp(a) + p * p / c"
    args = [x for name, v in values.items() for x in ("-v", f"{name}={v}")]
    code, out, _ = cli("graph", expression, *args, "--dot", "--decimals", "8")
    assert code == 0
    shown = {lines[0].split(" = ")[0]: float(lines[1].split(" = ")[1])
             for lines in _all_nodes(_parse(out)).values() if lines[0].split(" = ")[0] in values}
    t = {k: torch.tensor(float(Fraction(v)), dtype=torch.float64, requires_grad=True) for k, v in values.items()}
    p = t["a"] * t["b"] + t["c"]
    (torch.tanh(p) * torch.exp(t["a"]) + p * p / t["c"]).backward()
    for name in values:
        assert shown[name] == pytest.approx(t[name].grad.item(), abs=1e-8)


def test_dot_is_alone(cli):
    code, out, err = cli("graph", "x * y", "-v", "x=1", "-v", "y=2", "--dot", "--json")
    assert code == 2 and out == "" and "--dot" in err and err.count("\n") == 1


def test_graph_markdown_embeds_mermaid(cli):
    code, out, _ = cli("graph", "q = x + y; f = q * z", "-v", "x=-2", "-v", "y=5", "-v", "z=-4", "--markdown", "-")
    block = re.search(r"```mermaid\n(.*?)\n```", out, re.S)
    assert code == 0 and block
    chart = _mermaid(block.group(1))
    assert chart["direction"] == "LR" and len(chart["nodes"]) == 5 and len(chart["edges"]) == 4
    assert ["upstream 1", "local q = 3", "grad 3"] in [label for _, _, label in chart["edges"]]


# -- draw ----------------------------------------------------------------------------------------
def _params(nodes) -> int:
    return sum(int(line.split()[0].replace(",", "")) for lines in nodes.values() for line in lines
               if line.endswith(" params"))


def _dag_from_input(nodes, edges) -> None:
    """Every node reachable from the one input; one output; no cycle (Kahn's algorithm)."""
    incoming = {n: 0 for n in nodes}
    outgoing: dict = {n: [] for n in nodes}
    for s, t, _, _ in edges:
        incoming[t] += 1
        outgoing[s].append(t)
    sources = [n for n, k in incoming.items() if k == 0]
    assert len(sources) == 1 and nodes[sources[0]][0] == "input"
    assert len([n for n, out in outgoing.items() if not out]) == 1
    order, ready = [], list(sources)
    while ready:
        n = ready.pop()
        order.append(n)
        for t in outgoing[n]:
            incoming[t] -= 1
            if incoming[t] == 0:
                ready.append(t)
    assert len(order) == len(nodes)


def test_resnet18_drawn(cli):
    """torchvision's resnet18: 11,689,512 parameters, 20 convolutions (17 + 3 projections), 8
    residual adds, 5 of them with an identity shortcut."""
    code, out, _ = cli("draw", "resnet18")
    assert code == 0
    graph = _parse(out)
    nodes, edges = _all_nodes(graph), _edges(graph)
    _dag_from_input(nodes, edges)
    assert _params(nodes) == 11_689_512
    assert sum(lines[0].endswith(": conv") for lines in nodes.values()) == 20
    adds = [n for n, lines in nodes.items() if lines[0].endswith(": add")]
    assert len(adds) == 8 and all(sum(t == a for _, t, _, _ in edges) == 2 for a in adds)
    identity = [e for e in edges if e[2] == ["identity"]]
    assert len(identity) == 5 and all(e[3] and e[1] in adds for e in identity)
    assert sum(c.get("label").strip('"').endswith("(residual)") for c in _clusters(graph)) == 8
    last = nodes[[t for _, t, _, _ in edges if t not in {s for s, _, _, _ in edges}][0]]
    assert last[:2] == ["fc1: dense", "512 -> 1000"]


def test_shufflenet_split_halves_and_concats(cli):
    """torchvision's shufflenet_v2_x1_0: 2,278,604 parameters; the 13 basic units split their
    116/232/464 channels in halves, the left half untouched to the concat."""
    code, out, _ = cli("draw", "shufflenet-v2-x1.0")
    nodes, edges = _all_nodes(_parse(out)), _edges(_parse(out))
    _dag_from_input(nodes, edges)
    assert _params(nodes) == 2_278_604
    halves = [lab[0] for _, _, lab, _ in edges if lab and lab[0].startswith("channels ")]
    assert len(halves) == 2 * 13
    assert halves.count("channels 0:58") == halves.count("channels 58:116") == 3  # stage 2: 4 units, 1 down
    concats = {n for n, lines in nodes.items() if lines[0].endswith(": concat")}
    assert len(concats) == 16 and all(sum(t == c for _, t, _, _ in edges) == 2 for c in concats)


def test_named_references_are_dashed_edges(cli):
    """examples/blocks/skips.yaml: the decoder's concats take enc2 then enc1 (the outputs of relu4
    and relu2)."""
    code, out, _ = cli("draw", str(ROOT / "examples/blocks/skips.yaml"))
    nodes, edges = _all_nodes(_parse(out)), _edges(_parse(out))
    _dag_from_input(nodes, edges)
    dashed = [(nodes[s][0], nodes[t][0], lab) for s, t, lab, d in edges if d]
    assert dashed == [("relu4: relu", "concat1: concat", ["with enc2"]),
                      ("relu2: relu", "concat2: concat", ["with enc1"])]
    assert nodes[[n for n, lines in nodes.items() if lines[0] == "concat1: concat"][0]][1] == "16 x 16 x 32"


@pytest.mark.parametrize("name", sorted(p.stem for p in (ROOT / "calc" / "zoo").glob("*.yaml")))
def test_every_zoo_network_parses_and_fits_80_columns(cli, name):
    code, out, _ = cli("draw", name)
    assert code == 0 and max(len(line) for line in out.splitlines()) <= 80
    nodes, edges = _all_nodes(_parse(out)), _edges(_parse(out))
    _dag_from_input(nodes, edges)
    code, text, _ = cli("draw", name, "--mermaid")
    chart = _mermaid(text)
    assert len(text) <= 50_000 and len(chart["edges"]) <= 500  # Mermaid's maxTextSize and maxEdges
    if len(edges) <= 500 and len(text) < 45_000:
        assert len(chart["nodes"]) == len(nodes) and len(chart["edges"]) == len(edges)
    else:  # resnet152 (565 edges): the chart says what it leaves out
        assert any("not drawn: the chart is over" in lines for lines in chart["nodes"].values())


def test_quotes_and_backslashes_survive(cli, tmp_path):
    spec = tmp_path / "odd.yaml"
    spec.write_text('name: \'say "hi" \\ bye <b>|x|</b> #1\'\ninput: [4]\nlayers:\n  - dense: {units: 2}\n')
    code, out, _ = cli("draw", str(spec))
    assert code == 0 and _parse(out).get_name() == '"say \\"hi\\" \\\\ bye <b>|x|</b> #1"'
    code, text, _ = cli("draw", str(spec), "--mermaid")
    assert code == 0 and _mermaid(text)["nodes"]
    code, out, _ = cli("graph", 'q = x + y; f = q * z', "-v", "x=1", "-v", "y=2", "-v", "z=3", "--markdown", "-")
    assert code == 0 and _mermaid(re.search(r"```mermaid\n(.*?)```", out, re.S).group(1))["edges"]


# -- -o FILE -------------------------------------------------------------------------------------
def test_rendering_without_graphviz_says_how_to_get_it(cli, tmp_path):
    code, out, err = cli("draw", "lenet5", "-o", str(tmp_path / "n.svg"), env={"PATH": str(tmp_path)})
    assert code == 2 and out == "" and err.count("\n") == 1 and "graphviz" in err.lower()
    assert not (tmp_path / "n.svg").exists()


def test_rendering_calls_dot_with_the_dot_text(cli, tmp_path):
    fake = tmp_path / "dot"
    fake.write_text(f'#!/bin/sh\necho "$@" > "{tmp_path}/args"\n/bin/cat > "$3"\n')
    fake.chmod(0o755)
    target = tmp_path / "n.png"
    code, _, err = cli("draw", "lenet5", "-o", str(target), env={"PATH": str(tmp_path)})
    assert code == 0 and "wrote" in err
    assert (tmp_path / "args").read_text().split() == ["-Tpng", "-o", str(target)]
    assert _parse(target.read_text()).get_name() == '"lenet5"'


def test_dot_and_mermaid_files(cli, tmp_path):
    code, _, err = cli("draw", "lenet5", "-o", str(tmp_path / "n.dot"))
    assert code == 0 and err.startswith("wrote") and _parse((tmp_path / "n.dot").read_text())
    code, _, _ = cli("draw", "lenet5", "-o", str(tmp_path / "n.mmd"))
    assert code == 0 and (tmp_path / "n.mmd").read_text().startswith("flowchart TB")
    for bad in ("n.txt", "n"):
        code, out, err = cli("draw", "lenet5", "-o", str(tmp_path / bad))
        assert code == 2 and "-o" in err and err.count("\n") == 1
    code, _, err = cli("draw", "lenet5", "--mermaid", "-o", str(tmp_path / "n.svg"))
    assert code == 2 and "--mermaid" in err


def test_output_never_overwrites_the_spec(cli, tmp_path):
    spec = tmp_path / "net.dot"
    spec.write_text("input: [4]\nlayers:\n  - dense: {units: 2}\n")
    code, _, err = cli("draw", str(spec), "-o", str(spec))
    assert code == 2 and "reads" in err and spec.read_text().startswith("input")


# -- a small reader of the Mermaid flowcharts nncalc writes -------------------------------------
NODE = re.compile(r'^(n\d+)(\(\[|\(\(|\[)"([^"]*)"(\]\)|\)\)|\])$')
EDGE = re.compile(r'^(n\d+) (-->|-\.->)(?:\|"([^"]*)"\|)? (n\d+)$')


def _mermaid(text: str) -> dict:
    """Nodes, edges and subgraphs of a flowchart; fails on any line it does not understand, an
    unbalanced subgraph, an edge to an undefined node or a node defined twice."""
    lines = text.strip().splitlines()
    head = re.fullmatch(r"flowchart (LR|TB)", lines[0])
    assert head, lines[0]
    nodes, edges, depth = {}, [], 0
    for raw in lines[1:]:
        line = raw.strip()
        if m := NODE.match(line):
            assert m.group(1) not in nodes
            nodes[m.group(1)] = m.group(3).split("<br/>")
        elif m := EDGE.match(line):
            edges.append((m.group(1), m.group(4), m.group(3).split("<br/>") if m.group(3) else []))
        elif re.fullmatch(r'subgraph c\d+\["[^"]*"\]', line):
            depth += 1
        elif line == "end":
            depth -= 1
            assert depth >= 0
        else:
            raise AssertionError(f"not understood: {line!r}")
    assert depth == 0
    assert all(s in nodes and t in nodes for s, t, _ in edges)
    return {"direction": head.group(1), "nodes": nodes, "edges": edges}


def test_the_charts_in_the_docs_are_what_nncalc_prints(cli):
    """docs/pictures.md shows two Mermaid charts for GitHub to draw; they must not go stale."""
    charts = re.findall(r"```mermaid\n(.*?)```", (ROOT / "docs" / "pictures.md").read_text(), re.S)
    _, graph_md, _ = cli("graph", "q = x + y; f = q * z", "-v", "x=-2", "-v", "y=5", "-v", "z=-4", "--markdown", "-")
    _, skips, _ = cli("draw", str(ROOT / "examples/blocks/skips.yaml"), "--mermaid")
    assert charts == [re.search(r"```mermaid\n(.*?)```", graph_md, re.S).group(1), skips]


def test_hand_rounding_reaches_the_dot(cli):
    """By hand at 2 decimals: e^-1 = 0.37, 1/1.37 = 0.73, -1/1.37^2 = -0.53, -0.53 x 0.37 = -0.20;
    so df/dx0 = w0 x 0.2 = 0.4 and df/dx1 = w1 x 0.2 = -0.6 (exactly: 0.3932 and -0.5898)."""
    code, out, _ = cli("graph", SIGMOID, *SIGMOID_VALUES, "--dot", "--decimals", "2", "--hand-rounding")
    nodes = _all_nodes(_parse(out))
    grads = {lines[0].split(" = ")[0]: lines[1].split(" = ")[1] for lines in nodes.values() if ":" not in lines[0]}
    assert grads == {"w0": "-0.2", "x0": "0.4", "w1": "-0.4", "x1": "-0.6", "w2": "0.2"}


def test_unet_skips_are_dashed_identity_edges(cli):
    """U-Net (Ronneberger et al. 2015) has four skip connections, one into each concat of the
    decoder; an empty path is drawn dashed, not as a plain line beside the cluster borders."""
    code, out, _ = cli("draw", "unet")
    nodes, edges = _all_nodes(_parse(out)), _edges(_parse(out))
    concats = [n for n, lines in nodes.items() if lines[0].endswith(": concat")]
    assert len(concats) == 4
    for concat in concats:
        into = [(label, dashed) for _, t, label, dashed in edges if t == concat]
        assert sorted(into) == [([], False), (["identity"], True)]
