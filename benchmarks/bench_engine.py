"""AlexNet (the course's, 227 x 227 x 3) on the NumPy engine vs PyTorch CPU, float32.

    python benchmarks/bench_engine.py [--reps 15] [--threads 2] [--profile] [--no-memory]

Times, in one process with the same thread count for both (OpenBLAS and torch intra-op):
forward at batch 1 and forward + backward (input and all parameter gradients) at batch 8, eval
mode (dropout is the identity). Engine and PyTorch runs alternate, so load from other processes
hits both alike; medians are reported. PyTorch runs an ordinary NCHW model (its default) and the
same model in channels_last (its fastest CPU path here); the ratio is taken against the faster.

Achieved GFLOP/s = 2 x MACs x batch / time for the forward pass and 3 x that for forward +
backward (input and weight gradients each cost about one forward), set against the measured
float32 matrix-multiply rate of this machine (numpy 4096 x 4096 @ 4096 x 4096).

Peak memory: each configuration runs its first pass in a fresh subprocess, after the model and
its input exist; the resident-set high-water mark is reset just before the pass
(/proc/self/clear_refs) and read after it (VmHWM), so the figure is the extra memory the pass
needed. For the engine, tracemalloc's peak (NumPy reports its buffers to it) is shown as well.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=15, help="timed repetitions per configuration")
    p.add_argument("--threads", type=int, default=os.cpu_count(), help="BLAS / torch threads")
    p.add_argument("--profile", action="store_true", help="per-layer engine times as well")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocesses")
    p.add_argument("--child", help=argparse.SUPPRESS)
    return p.parse_args(argv)


ARGS = parse_args()
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # before numpy/torch load
    os.environ[var] = str(ARGS.threads)
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from calc.backend import get_backend  # noqa: E402
from calc.engine.context import Ctx  # noqa: E402
from calc.engine.model import Model  # noqa: E402
from calc.network import load_network  # noqa: E402

torch.set_num_threads(ARGS.threads)
BATCH_FWD, BATCH_TRAIN = 1, 8


def engine():
    net = load_network("alexnet")
    return Model(net, Ctx(backend=get_backend("cpu", "float32"), seed=0))


def torch_twin(model: Model, channels_last: bool) -> nn.Module:
    """The same AlexNet as a plain NCHW torch model with the engine's weights (fc1's columns
    reordered from nncalc's H x W x C flatten to torch's C x H x W)."""
    mods, map_shape = [], None
    for layer in model.layers:
        k = layer.kind
        if k == "flatten":
            map_shape = layer.in_shape
        if k == "conv":
            m = nn.Conv2d(layer.in_shape[2], layer.filters, layer.kernel, layer.stride, layer.pad[0])
        elif k == "maxpool":
            m = nn.MaxPool2d(layer.kernel, layer.stride)
        elif k == "dense":
            m = nn.Linear(layer.inputs, layer.units)
        else:
            m = {"relu": nn.ReLU, "flatten": nn.Flatten, "dropout": nn.Dropout, "softmax": lambda: nn.Softmax(-1)}[k]()
        if k in ("conv", "dense"):
            w = np.asarray(layer.params["weight"])
            if k == "dense" and map_shape is not None:  # the first dense layer after the flatten
                h, wd, c = map_shape
                w = w.reshape(-1, h, wd, c).transpose(0, 3, 1, 2).reshape(w.shape[0], -1)
                map_shape = None
            with torch.no_grad():
                m.weight.copy_(torch.from_numpy(np.ascontiguousarray(w)))
                m.bias.copy_(torch.from_numpy(np.asarray(layer.params["bias"])))
        mods.append(m)
    twin = nn.Sequential(*mods).eval()
    return twin.to(memory_format=torch.channels_last) if channels_last else twin


def inputs(batch: int):
    rng = np.random.default_rng(batch)
    x = rng.standard_normal((batch, 227, 227, 3)).astype(np.float32)
    return x, rng.standard_normal((batch, 1000)).astype(np.float32)


def tasks(model: Model, twins: dict):
    """name -> (zero-argument callable doing one pass)."""
    x1, _ = inputs(BATCH_FWD)
    x8, dy8 = inputs(BATCH_TRAIN)
    def engine_train():
        model.forward(x8)
        return model.backward(dy8)
    out = {"engine fwd b1": lambda: model.forward(x1), "engine fwd+bwd b8": engine_train}
    dyt = torch.from_numpy(dy8)
    for label, (twin, cl) in twins.items():
        fmt = torch.channels_last if cl else torch.contiguous_format
        t1 = torch.from_numpy(x1).permute(0, 3, 1, 2).contiguous(memory_format=fmt)
        t8 = torch.from_numpy(x8).permute(0, 3, 1, 2).contiguous(memory_format=fmt)

        def fwd(twin=twin, t1=t1):
            with torch.no_grad():
                return twin(t1)

        def train(twin=twin, t8=t8):
            twin.zero_grad(set_to_none=True)
            xin = t8.detach().requires_grad_()
            twin(xin).backward(dyt)
            return xin.grad
        out[f"{label} fwd b1"] = fwd
        out[f"{label} fwd+bwd b8"] = train
    return out


def timed(fns: dict, reps: int, settle: float = 0.3) -> dict:
    """Seconds of each run of each callable, interleaved round-robin after 2 warm-up rounds.
    ``settle`` seconds of sleep before each run let the other library's idle threads stop
    spinning (OpenMP and OpenBLAS workers busy-wait for a while after a parallel region)."""
    times = {name: [] for name in fns}
    for rep in range(reps + 2):
        for name, fn in fns.items():
            time.sleep(settle)
            start = time.perf_counter()
            fn()
            if rep >= 2:
                times[name].append(time.perf_counter() - start)
    return times


def gemm_rate() -> float:
    n = 4096
    a = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
    a @ a
    best = min(_clock(lambda: a @ a) for _ in range(5))
    return 2 * n ** 3 / best / 1e9


def _clock(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def agreement(model: Model, twin: nn.Module) -> float:
    x, _ = inputs(2)
    y = model.forward(x)
    with torch.no_grad():
        yt = twin(torch.from_numpy(x).permute(0, 3, 1, 2)).numpy()
    return float(np.abs(y - yt).max() / np.abs(yt).max())


def profile(model: Model, reps: int = 5) -> list:
    """Per-layer median forward and backward milliseconds at batch 8."""
    x, dy = inputs(BATCH_TRAIN)
    fwd, bwd = {}, {}
    for layer in model.layers:
        for store, attr in ((fwd, "forward"), (bwd, "backward")):
            inner = getattr(layer, attr)

            def wrapped(a, ctx, inner=inner, store=store, name=layer.name):
                start = time.perf_counter()
                out = inner(a, ctx)
                store.setdefault(name, []).append(time.perf_counter() - start)
                return out
            setattr(layer, attr, wrapped)
    for _ in range(reps):
        model.forward(x)
        model.backward(dy)
    rows = [(name, statistics.median(fwd[name]) * 1e3, statistics.median(bwd[name]) * 1e3) for name in fwd]
    for layer in model.layers:
        del layer.forward, layer.backward
    return rows


def child(name: str) -> None:
    """One first pass of one configuration in a fresh process; prints {"rss_mb", "traced_mb"}."""
    import tracemalloc

    model = engine()
    twins = {} if name.startswith("engine") else {name.rsplit(" fwd", 1)[0]:
                                                      (torch_twin(model, "channels_last" in name), "channels_last" in name)}
    fn = tasks(model, twins)[name]  # model, twin and inputs exist before the measurement
    traced = name.startswith("engine")
    if traced:
        tracemalloc.start()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset the high-water mark VmHWM to the current resident set
        base = _status("VmRSS")
    except OSError:
        base = None
    fn()
    peak_rss = _status("VmHWM")
    traced_peak = tracemalloc.get_traced_memory()[1] if traced else None
    print(json.dumps({"rss_mb": (peak_rss - base) / 1024 if base is not None else None,
                      "traced_mb": traced_peak / 2 ** 20 if traced_peak is not None else None}))


def _status(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])  # kB
    raise KeyError(key)


def memory(names) -> dict:
    out = {}
    for name in names:
        cmd = [sys.executable, __file__, "--threads", str(ARGS.threads), "--child", name]
        out[name] = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])
    return out


def main() -> None:
    if ARGS.child:
        return child(ARGS.child)
    model = engine()
    twins = {"torch NCHW": (torch_twin(model, False), False), "torch channels_last": (torch_twin(model, True), True)}
    macs = sum(layer.macs() for layer in model.layers)
    print(f"AlexNet (course) 227x227x3, float32, {ARGS.threads} threads; numpy {np.__version__}, torch {torch.__version__}")
    print(f"MACs per sample {macs:,}; engine vs torch output, max relative difference "
          f"{agreement(model, twins['torch NCHW'][0]):.1e}")
    rate = gemm_rate()
    print(f"float32 matmul rate (numpy 4096^3): {rate:.0f} GFLOP/s; load average {os.getloadavg()[0]:.2f}")
    runs = timed(tasks(model, twins), ARGS.reps)
    results = {name: (statistics.median(t), min(t)) for name, t in runs.items()}
    mem = {} if ARGS.no_memory else memory(results)
    print(f"\n{'configuration':32s} {'median ms':>10s} {'min ms':>8s} {'GFLOP/s':>8s} {'of matmul':>9s} {'peak MB':>8s}")
    for name, (med, best) in results.items():
        batch, passes = (BATCH_FWD, 1) if "fwd b1" in name else (BATCH_TRAIN, 3)
        gflops = 2 * macs * batch * passes / med / 1e9
        m = mem.get(name, {})
        peak = f"{m['rss_mb']:.0f}" if m.get("rss_mb") is not None else "-"
        if m.get("traced_mb") is not None:
            peak += f" ({m['traced_mb']:.0f})"
        print(f"{name:32s} {med * 1e3:10.1f} {best * 1e3:8.1f} {gflops:8.1f} {gflops / rate:9.0%} {peak:>8s}")
    print("\nengine time / PyTorch time: ratio of medians; in brackets the median of the per-round ratios")
    for task, target in (("fwd b1", 1.0), ("fwd+bwd b8", 1.5)):
        ratios = {}
        for label in twins:
            paired = statistics.median(e / t for e, t in zip(runs[f"engine {task}"], runs[f"{label} {task}"]))
            ratios[label] = results[f"engine {task}"][0] / results[f"{label} {task}"][0]
            print(f"{task:11s} engine / {label:20s} = {ratios[label]:.2f} [{paired:.2f}]")
        worst = max(ratios.values())
        print(f"{task:11s} engine / fastest PyTorch       = {worst:.2f}  (target <= {target}: "
              f"{'met' if worst <= target else 'NOT met'})")
    if ARGS.profile:
        print(f"\n{'layer':10s} {'fwd ms':>8s} {'bwd ms':>8s}   (engine, batch 8, medians)")
        for name, f, b in profile(model):
            print(f"{name:10s} {f:8.2f} {b:8.2f}")


if __name__ == "__main__":
    main()
