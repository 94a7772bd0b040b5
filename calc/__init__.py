"""nncalc's library: network specs, counting, and (in later modules) the engine and solvers.

The public names below load lazily, so ``import calc`` stays cheap for the command line:

    from calc import load_network, summarize
    net = load_network("resnet50")
    print(summarize(net).total_params)   # 25557032
"""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    "NNCalcError": "calc.errors",
    "SpecError": "calc.errors",
    "InputError": "calc.errors",
    "Network": "calc.network",
    "load_network": "calc.network",
    "build_network": "calc.network",
    "network_from_text": "calc.network",
    "override_input": "calc.network",
    "Model": "calc.engine.model",
    "run_network": "calc.engine.api",
    "train_network": "calc.engine.api",
    "TrainSettings": "calc.engine.api",
    "CountOptions": "calc.stats",
    "Summary": "calc.stats",
    "summarize": "calc.stats",
    "window_output": "calc.sizes",
    "transposed_output": "calc.sizes",
    "solve_padding": "calc.sizes",
    "tf_same_padding": "calc.sizes",
    "Step": "calc.steps.step",
    "Solution": "calc.steps.step",
    "SolveOptions": "calc.steps.registry",
    "load_problem": "calc.problems_io",
    "solve_problem": "calc.problems_io",
    "solve_network": "calc.steps.network",
    "solve_softmax": "calc.steps.softmax",
    "solve_loss": "calc.steps.loss",
    "solve_perceptron": "calc.steps.perceptron",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'calc' has no attribute {name!r}")


def __dir__():
    return __all__
