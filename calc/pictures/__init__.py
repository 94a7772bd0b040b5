"""Pictures of what nncalc computes: a computational graph, a network's structure.

One small model (diagram.Diagram: nodes, edges, nested clusters) is built from the library's own
records (calc.graph.Graph, calc.network.Network) and written as Graphviz DOT or as Mermaid, so the
two texts never disagree. Rendering to SVG/PNG is the `dot` program's job (the CLI calls it).
"""
