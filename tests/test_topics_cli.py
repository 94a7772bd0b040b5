"""`nncalc graph | batchnorm | activation | optimizer | ewma | init | dropout` through the CLI."""

import json

import pytest

COMMANDS = [  # (args, keys the --json document must hold, one value to check)
    (["graph", "(x + y) * z", "-v", "x=-2", "-v", "y=5", "-v", "z=-4"], ["f", "df/dx", "df/dy", "df/dz"], ("df/dz", 3)),
    (["graph", "q = x + y; f = q * z", "-v", "x=-2", "-v", "y=5", "-v", "z=-4"], ["q", "df/dq"], ("df/dq", -4)),
    (["batchnorm", "2", "4", "6", "8", "10", "--gamma", "2", "--beta", "1", "--eps", "0"],
     ["mean", "var", "var_biased", "var_unbiased", "std", "x_hat", "y"], ("var", 8)),
    (["batchnorm", "2,4,6,8,10", "--variance", "n-1", "--eps", "0", "--grad", "1,0,0,0,0"],
     ["dL/dx", "dL/dgamma", "dL/dbeta", "dL/dvar", "dL/dmean"], ("var", 10)),
    (["activation", "leaky_relu", "--at", "-2,0,3"], ["f", "df/dz"], ("df/dz", [0.01, 0.01, 1])),
    (["activation", "elu", "--at=-1,2", "--alpha", "0.5"], ["f", "df/dz"], ("df/dz", [0.5 * 0.36787944117144233, 1])),
    (["activation", "softmax", "--at", "0,0"], ["f", "jacobian"], ("f", [0.5, 0.5])),
    (["optimizer", "sgd", "--lr", "0.1", "--grads", "1,2"], ["w", "g", "w_final"], ("w", [-0.1, -0.3])),
    (["optimizer", "adam", "--lr", "0.1", "--function", "w^2", "--start", "1", "--steps", "2"],
     ["w", "g", "m", "v", "m_hat", "v_hat", "w_final", "f_final"], ("g", [2, 1.800000001])),
    (["optimizer", "momentum", "--style", "keras", "--lr", "0.1", "--grads", "1,1"], ["w", "v"], ("v", [-0.1, -0.19])),
    (["ewma", "25", "13", "17", "--beta", "0.9", "--bias-correction"], ["V", "V_corrected"], ("V", [2.5, 3.55, 4.895])),
    (["init", "he-normal", "--fan-in", "2"], ["std", "variance", "fan_in", "fan_out"], ("std", 1)),
    (["init", "glorot-uniform", "--spec", "mnist-mlp", "--layer", "fc1"], ["limit", "std"], ("fan_in", 784)),
    (["dropout", "10", "10", "15", "15", "--rate", "0.5", "--mask", "1,0,0,1"],
     ["mask", "output", "test_output", "expected_output", "sum_out", "test_sum"], ("output", [20, 0, 0, 30])),
    (["dropout", "1,2,3", "--rate", "0.5", "--seed", "0"], ["mask", "output"], ("test_output", [1, 2, 3])),
]


@pytest.mark.parametrize("args,keys,check", COMMANDS, ids=[" ".join(c[0][:2]) for c in COMMANDS])
def test_command_json(cli, args, keys, check):
    code, out, err = cli(*args, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["conventions"] and data["steps"]
    for key in keys:
        assert key in data, key
    name, want = check
    assert data[name] == pytest.approx(want, rel=1e-9)


@pytest.mark.parametrize("args", [c[0] for c in COMMANDS], ids=[" ".join(c[0][:2]) for c in COMMANDS])
def test_command_text_and_markdown(cli, args):
    code, out, _ = cli(*args)
    assert code == 0 and "Conventions" in out
    code, md, _ = cli(*args, "--markdown", "-")
    assert code == 0 and md.startswith("# ") and "**Conventions used**" in md


@pytest.mark.parametrize("args,fragment", [
    (["graph", "__import__('os')"], "'__import__' is not allowed"),
    (["graph", "x.y", "-v", "x=1"], "attribute access"),
    (["graph", "x + y", "-v", "x=1"], "no value for variable 'y'"),
    (["graph", "x / y", "-v", "x=1", "-v", "y=0"], "division by zero"),
    (["graph", "x", "-v", "x"], "expected name=value"),
    (["graph", "x*2", "-v", "x=abc"], "-v x: expected a number"),
    (["batchnorm", "1", "2", "--grad", "1"], "expected 2 values of dL/dy"),
    (["batchnorm", "1", "a"], "X: expected a number"),
    (["activation", "swishy", "--at", "1"], "unknown activation 'swishy' (did you mean 'swish'?)"),
    (["activation", "elu", "--at", "1", "--alpha", "1", "--slope", "1"], "not several"),
    (["activation", "relu", "--at", "1", "--approximate", "tanh"], "approximate applies to gelu only"),
    (["activation", "gelu", "--at", "1", "--approximate", "erf"], "none (the erf form) or tanh"),
    (["optimizer", "adamm", "--grads", "1"], "did you mean 'adam'"),
    (["optimizer", "sgd", "--function", "w^2"], "--start"),
    (["optimizer", "sgd", "--lr", "-1", "--grads", "1"], "lr must be >= 0"),
    (["ewma", "1", "2", "--beta", "1"], "0 <= beta < 1"),
    (["init", "xavier-normal"], "fan_in"),
    (["init", "he-normal", "--spec", "alexnet", "--layer", "nope"], "no layer named 'nope'"),
    (["init", "hee-normal", "--fan-in", "3"], "unknown initialiser"),
    (["dropout", "1", "2", "--rate", "1"], "0 <= p < 1"),
    (["dropout", "1", "2", "--mask", "1,1,1"], "expected 2 values"),
])
def test_bad_input_is_one_line(cli, args, fragment):
    code, out, err = cli(*args)
    assert code == 2
    assert fragment in err and err.count("\n") == 1 and "Traceback" not in err


def test_usage_errors_exit_2(cli):
    code, _, _ = cli("batchnorm", "1", "2", "--variance", "n+1")
    assert code == 2
    code, _, _ = cli("dropout", "1", "--scaling", "never")
    assert code == 2
