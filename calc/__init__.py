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
    "CountOptions": "calc.counting.stats",
    "Summary": "calc.counting.stats",
    "summarize": "calc.counting.stats",
    "window_output": "calc.counting.size_formulas",
    "transposed_output": "calc.counting.size_formulas",
    "solve_padding": "calc.counting.size_formulas",
    "tf_same_padding": "calc.counting.size_formulas",
    "Step": "calc.solve.step",
    "Solution": "calc.solve.step",
    "SolveOptions": "calc.solve.registry",
    "load_problem": "calc.problems_io",
    "solve_problem": "calc.problems_io",
    "solve_network": "calc.solve.network.solver",
    "solve_softmax": "calc.solve.softmax",
    "solve_loss": "calc.solve.loss",
    "solve_perceptron": "calc.solve.perceptron",
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


def _display_in_ipython() -> None:
    """In Jupyter (an IPython shell is running), results display themselves with no extra step:
    the formatters of calc.notebook are registered by class name, loading nothing until a result
    is shown. Outside IPython (the command line) this costs one dictionary lookup."""
    import sys

    ipython = sys.modules.get("IPython")
    shell = getattr(ipython, "get_ipython", lambda: None)() if ipython is not None else None
    if shell is not None and hasattr(shell, "display_formatter"):
        from calc.notebook import load_ipython_extension

        load_ipython_extension(shell)


_display_in_ipython()
