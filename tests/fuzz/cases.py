"""Whole cases: an argument vector for any command (from the command tree), and deeper cases for
the commands whose input is a language of its own: graph expressions, specs with data, answers
files for bundled problems, problems with a damaged given."""

from __future__ import annotations

import math

from hypothesis import strategies as st

from tests.fuzz import files
from tests.fuzz.commands import Command, Param, commands
from tests.fuzz.runner import Case
from tests.fuzz.values import any_text, drawn, int_text, number, number_list, numbers, small_number
from tests.specgen import random_spec

READERS = {"spec": files.spec_file, "problem": files.problem_file, "answers": lambda: files.answers_file(""),
           "inputs": files.data_file, "data": files.data_file, "weights": files.data_file}
WRITERS = {"markdown", "save"}


def envs() -> st.SearchStrategy[dict]:
    return st.one_of(st.just({}), st.just({}), st.sampled_from([{"COLUMNS": c} for c in ("20", "40", "300")]),
                     *drawn("columns", st.sampled_from([{"COLUMNS": c} for c in ("0", "-5", "x")])))


def value(param: Param) -> st.SearchStrategy:
    """(list of command-line words for this parameter, files)."""
    if param.kind == "flag":
        return st.sampled_from(param.opts[:1] + param.secondary[:1]).map(lambda o: ([o], {}))
    if param.name in READERS:
        text = READERS[param.name]()
    elif param.name in WRITERS:
        text = files.output_path()
    elif param.kind == "choice":
        text = st.one_of(st.sampled_from(param.choices), st.sampled_from(param.choices), any_text()).map(lambda t: (t, {}))
    elif param.kind == "int":
        text = int_text(param.low, param.high).map(lambda t: (t, {}))
    elif param.kind == "float":
        text = number().map(lambda t: (t, {}))
    else:
        text = st.one_of(number(), number_list(), any_text()).map(lambda t: (t, {}))
    if not param.opts:  # an argument: several words when it takes several values
        if param.many:
            return st.lists(st.one_of(number(), small_number()), min_size=1, max_size=6).map(lambda w: (w, {}))
        return text.map(lambda t: ([t[0]], t[1]))
    return st.tuples(st.sampled_from(param.opts), text).map(lambda t: ([t[0], t[1][0]], t[1][1]))


def command_case(cmd: Command) -> st.SearchStrategy[Case]:
    words = [value(p) if p.required or not p.opts else st.one_of(st.just(([], {})), value(p)) for p in cmd.params]
    extra = st.one_of(st.just([]), st.just([]), st.just([]), st.sampled_from([["--bogus"], ["--"], ["extra"], ["-"]]))

    def build(parts, tail, env):
        options = [w for p, (ws, _) in zip(cmd.params, parts) if p.opts for w in ws]
        arguments = [w for p, (ws, _) in zip(cmd.params, parts) if not p.opts for w in ws]
        argv = [*cmd.path, *options, *(["--"] if arguments and arguments[0].startswith("-") else []), *arguments, *tail]
        return Case(argv, {k: v for _, fs in parts for k, v in fs.items()}, env)

    return st.builds(build, st.tuples(*words), extra, envs())


def any_command() -> st.SearchStrategy[Case]:
    return st.sampled_from(commands()).flatmap(command_case)


# -- graph expressions -------------------------------------------------------------------------
VARIABLES = ("x", "y", "z", "w")
FUNCTIONS1 = ("exp", "log", "ln", "sqrt", "sigmoid", "tanh", "relu", "abs")


def expression() -> st.SearchStrategy[str]:
    leaf = st.one_of(st.sampled_from(VARIABLES), small_number().filter(lambda t: "/" not in t and "-" not in t),
                     number().map(lambda t: f"({t})"))
    tree = st.recursive(leaf, lambda sub: st.one_of(
        st.builds(lambda a, op, b: f"{a} {op} {b}", sub, st.sampled_from(["+", "-", "*", "/", "^", "**"]), sub),
        st.builds(lambda f, a: f"{f}({a})", st.sampled_from(FUNCTIONS1), sub),
        st.builds(lambda f, a, b: f"{f}({a}, {b})", st.sampled_from(["max", "min"]), sub, sub),
        sub.map(lambda a: f"-({a})"), sub.map(lambda a: f"({a})")), max_leaves=12)
    staged = st.builds(lambda a, b: f"q = {a}; f = q * {b}", tree, tree)
    deep = st.builds(lambda f, n: f"{f}(" * n + "x" + ")" * n, st.sampled_from(["", "exp", "sqrt", "-"]),
                     st.integers(50, 5000))
    flat = st.builds(lambda op, n: op.join(["x"] * n), st.sampled_from(["+", "*", "-"]), st.integers(100, 3000))
    return st.one_of(tree, tree, tree, staged, any_text(), *drawn("deep", deep, flat))


def graph_case() -> st.SearchStrategy[Case]:
    assigns = st.lists(st.builds(lambda v, n: ["-v", f"{v}={n}"], st.sampled_from(VARIABLES), number()), max_size=4)
    flags = st.lists(st.sampled_from([["--json"], ["--hand-rounding"], ["--decimals", "0"], ["--decimals", "30"],
                                      ["--markdown", "-"]]), max_size=2)
    return st.builds(lambda e, a, f, env: Case(["graph", e, *sum(a, []), *sum(f, [])], {}, env),
                     expression(), assigns, flags, envs())


# -- answers for bundled problems ---------------------------------------------------------------
def check_case() -> st.SearchStrategy[Case]:
    def for_problem(name):
        opts = st.lists(st.sampled_from([["--json"], ["--markdown", "-"], ["--decimals", "2"], ["--rel", "0"],
                                         ["--abs", "1e-3"], ["--rel", "nan"], ["--abs", "1e999"]]), max_size=2)
        return st.builds(lambda ans, o: Case(["check", name, "-a", ans[0], *sum(o, [])], ans[1]),
                         files.answers_file(name), opts)

    return st.sampled_from(files.bundled_problems()).flatmap(for_problem)


def solve_case() -> st.SearchStrategy[Case]:
    flags = st.lists(st.sampled_from([["--json"], ["--template"], ["--hand-rounding"], ["--decimals", "0"],
                                      ["--markdown", "-"]]), max_size=2)
    return st.builds(lambda p, f: Case(["solve", p[0], *sum(f, [])], p[1]), files.problem_file(), flags)


# -- specs with data -----------------------------------------------------------------------------
def spec_case() -> st.SearchStrategy[Case]:
    def build(spec, data, cmd, extra):
        argv = {"summary": ["summary", spec[0]], "run": ["run", spec[0], "-i", data[0]],
                "train": ["train", spec[0], "-d", data[0], "--epochs", "2"],
                "backprop": ["backprop", spec[0], "-x", "1,2"]}[cmd]
        return Case(argv + extra, {**spec[1], **data[1]})

    extra = st.lists(st.sampled_from(["--json", "--training", "--full", "--activations", "--keras", "--dtype=float32"]),
                     max_size=2).map(lambda xs: [x for x in xs if x])
    return st.builds(build, files.spec_file(), files.data_file(), st.sampled_from(["summary", "run", "train", "backprop"]),
                     extra).map(_drop_unknown)


def _drop_unknown(case: Case) -> Case:
    allowed = {"summary": {"--json", "--keras"}, "run": {"--json", "--training", "--full", "--activations",
                                                          "--dtype=float32"},
               "train": {"--json", "--dtype=float32"}, "backprop": {"--json"}}[case.argv[0]]
    case.argv = [a for a in case.argv if not a.startswith("--") or a in allowed or a in ("--epochs",)]
    return case


def model_case() -> st.SearchStrategy[Case]:
    """A valid random spec with samples of exactly its input size: run and train get past the
    checks into the engine (the values themselves may be at the edges)."""
    def build(seed, cmd, n, cells, extra):
        gen = random_spec(seed)
        size = math.prod(gen.input_shape)
        rows = [[cells[(i * size + j) % len(cells)] for j in range(size)] for i in range(n)]
        if cmd == "run":
            data = "[" + ", ".join("[" + ", ".join(r) + "]" for r in rows) + "]\n"
            return Case(["run", "spec.yaml", "-i", "x.yaml", *extra], {"spec.yaml": gen.text, "x.yaml": data})
        data = "".join(",".join([*r, str(i % 2)]) + "\n" for i, r in enumerate(rows))
        return Case(["train", "spec.yaml", "-d", "d.csv", "--epochs", "2", *extra], {"spec.yaml": gen.text, "d.csv": data})

    extra = st.sampled_from([[], [], ["--training"], ["--dtype", "float32"], ["--json"],
                             *drawn("seeds", ["--seed", "-1"])])
    return st.builds(build, st.integers(0, 10**6), st.sampled_from(["run", "train"]), st.integers(1, 3),
                     st.lists(number(), min_size=1, max_size=5), extra).map(_fix_train_options)


def _fix_train_options(case: Case) -> Case:
    if case.argv[0] == "train" and "--training" in case.argv:
        case.argv.remove("--training")
    return case


def cases() -> st.SearchStrategy[Case]:
    """Every kind of case; commands from the tree get half of the draws."""
    return st.one_of(any_command(), any_command(), any_command(), graph_case(), check_case(), solve_case(),
                     spec_case(), model_case(), st.builds(lambda xs: Case(["softmax", "--", *xs]), numbers(1, 6)))
