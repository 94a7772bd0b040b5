"""Run exported PyTorch code: exec the generated source, copy nncalc's engine weights in through the
generated ``load_nncalc_weights``, and compare outputs with nncalc's engine (float64)."""

from __future__ import annotations

import numpy as np

torch = __import__("pytest").importorskip("torch")


def module_from(source: str, name: str = "exported"):
    """The nn.Module class the generated source defines (the last class in it), and its namespace."""
    import ast

    tree = ast.parse(source)
    cls = [n.name for n in tree.body if isinstance(n, ast.ClassDef)][-1]
    namespace = {"__name__": name}
    exec(compile(source, f"<{name}>", "exec"), namespace)  # noqa: S102 - the code under test
    return namespace[cls]


def engine_weights(model) -> dict:
    """{layer name: {param or buffer name: array}} as the engine holds them."""
    out = {}
    for layer in model.network.leaves():
        values = {**getattr(layer, "params", {}), **getattr(layer, "buffers", {})}
        if values:
            out[layer.name] = {k: np.asarray(v, dtype=np.float64) for k, v in values.items()}
    return out


def perturb(model, rng) -> None:
    """Random parameters and running statistics (the engine starts gamma at 1, means at 0, ...),
    so that every tensor the export maps is checked; variances stay positive."""
    for layer in model.network.leaves():
        for store in (getattr(layer, "params", {}), getattr(layer, "buffers", {})):
            for name, value in store.items():
                low = "var" in name
                store[name] = rng.uniform(0.5, 1.5, value.shape) if low else value + rng.normal(0, 0.1, value.shape)


def compare(network, x, seed: int = 0) -> float:
    """max |torch - nncalc| / max(|nncalc|, 1e-3) of the exported module against the engine."""
    from calc.backend import get_backend
    from calc.engine.context import Ctx
    from calc.engine.model import Model
    from calc.interchange.export import export_code

    model = Model(network, Ctx(get_backend("cpu", "float64"), seed=seed))
    perturb(model, np.random.default_rng(seed))
    want = np.asarray(model.forward(model.backend.asarray(x), training=False), dtype=np.float64)
    module = module_from(export_code(network, "pytorch"))().double().eval()
    module.load_nncalc_weights(engine_weights(model))
    xt = torch.tensor(x)
    if x.ndim == 4:  # nncalc's maps are N, H, W, C; the module takes NCHW
        xt = xt.permute(0, 3, 1, 2)
    with torch.no_grad():
        got = module(xt)
    if got.dim() == 4:
        got = got.permute(0, 2, 3, 1)
    got = got.numpy()
    assert got.shape == want.shape, (got.shape, want.shape)
    return float(np.max(np.abs(got - want)) / max(float(np.max(np.abs(want))), 1e-3))
