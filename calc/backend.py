"""The array backend seam: the only module that names cupy.

A ``Backend`` hands out ``xp`` (an array namespace with NumPy's API) and a dtype. Layers never
import numpy or cupy for computation: they use ``ctx.xp``. Three backends:

- ``numpy``: float64 by default (answers must match hand solutions), float32 on request;
- ``cupy``: the same code on a GPU, imported lazily, an optional extra (``pip install .[gpu]``);
- ``exact``: NumPy object arrays of Fractions (calc.exact), so worked solutions run the very
  same layer code as the engine; exp/log/sqrt/tanh are replaced by exact versions.

Backend differences live in the small tables below, not in ``if cupy:`` branches.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from calc.errors import InputError

DTYPES = ("float64", "float32")


class ExactNamespace:
    """NumPy's namespace with element-wise exact transcendental functions for Fraction arrays."""

    def __init__(self):
        import numpy

        from calc import exact, exact_functions

        self._np = numpy
        self.exp = numpy.frompyfunc(exact_functions.exp, 1, 1)
        self.log = numpy.frompyfunc(exact_functions.log, 1, 1)
        self.sqrt = numpy.frompyfunc(exact_functions.sqrt, 1, 1)
        self.tanh = numpy.frompyfunc(exact_functions.tanh, 1, 1)
        self.log1p = numpy.frompyfunc(exact_functions.log1p, 1, 1)
        self.erf = numpy.frompyfunc(exact_functions.erf, 1, 1)  # NumPy has no erf: see Backend.erf
        self._to_fraction = numpy.frompyfunc(exact.to_fraction, 1, 1)

    def __getattr__(self, name: str):
        return getattr(self._np, name)

    def asarray(self, values, dtype=None):
        arr = self._np.asarray(values, dtype=object)
        # frompyfunc returns a bare scalar for 0-d input: wrap it back into an array
        return self._np.asarray(self._to_fraction(arr), dtype=object) if arr.size else arr

    def zeros(self, shape, dtype=None):
        if dtype is not None and dtype is not object:
            return self._np.zeros(shape, dtype=dtype)  # masks and indices stay plain arrays
        out = self._np.empty(shape, dtype=object)
        out.fill(Fraction(0))
        return out

    def zeros_like(self, a, dtype=None):
        return self.zeros(self._np.shape(a), dtype)

    def ones(self, shape, dtype=None):
        out = self._np.empty(shape, dtype=object)
        out.fill(Fraction(1))
        return out

    def full(self, shape, value, dtype=None):
        out = self._np.empty(shape, dtype=object)
        out.fill(Fraction(value))
        return out


@dataclass(frozen=True)
class Backend:
    name: str  # numpy | cupy | exact
    xp: Any
    dtype: Any  # the array dtype (object for exact)

    @property
    def exact(self) -> bool:
        return self.name == "exact"

    def asarray(self, values):
        """Values (nested lists, numpy arrays) as this backend's arrays of its dtype."""
        if self.exact:
            return self.xp.asarray(values)
        return self.xp.asarray(values, dtype=self.dtype)

    def to_numpy(self, array):
        """A host NumPy array (float64 for exact values) for printing, saving and comparing."""
        import numpy

        if self.name == "cupy":
            return self.xp.asnumpy(array)
        if self.exact:
            return numpy.asarray(array, dtype=object).astype(numpy.float64)
        return numpy.asarray(array)

    def erf(self, z):
        """The error function element-wise (GELU): NumPy has none, so float arrays go through
        math.erf (correctly rounded to about 1 ulp) and CuPy through cupyx.scipy.special."""
        if self.exact:
            return self.xp.asarray(self.xp.erf(z))
        if self.name == "cupy":
            import cupyx.scipy.special  # noqa: PLC0415 - cupy is named only here

            return cupyx.scipy.special.erf(z)
        import math

        import numpy

        z = numpy.asarray(z)
        flat = numpy.fromiter(map(math.erf, z.ravel().tolist()), numpy.float64, z.size)  # faster than vectorize
        return flat.reshape(z.shape).astype(z.dtype, copy=False)

    def scalar(self, value):
        """A Python/Fraction scalar of this backend's kind (1/2 stays exact in exact mode)."""
        from calc.exact import to_fraction

        return to_fraction(value) if self.exact else float(value)


def _load_cupy():
    try:
        import cupy  # noqa: PLC0415 - the only place cupy is named
    except ImportError:
        raise InputError("--device gpu needs CuPy, which is not installed: pip install 'nncalc[gpu]' "
                         "(or cupy-cuda12x) on a machine with an NVIDIA GPU") from None
    try:
        cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # noqa: BLE001 - CUDA reports many kinds of failure
        raise InputError(f"--device gpu: CuPy is installed but no usable GPU was found ({exc})") from None
    return cupy


def get_backend(device: str = "cpu", dtype: str = "float64") -> Backend:
    """device: cpu | gpu | exact; dtype: float64 | float32 (ignored for exact)."""
    if dtype not in DTYPES:
        raise InputError(f"dtype must be one of {', '.join(DTYPES)}, got '{dtype}'")
    if device in ("cpu", "numpy"):
        import numpy

        return Backend("numpy", numpy, numpy.dtype(dtype))
    if device in ("gpu", "cuda", "cupy"):
        cupy = _load_cupy()
        return Backend("cupy", cupy, cupy.dtype(dtype))
    if device == "exact":
        return Backend("exact", ExactNamespace(), object)
    raise InputError(f"device must be cpu, gpu or exact, got '{device}'")


def available_backends() -> list[str]:
    """Backends usable on this machine (tests are parametrised over these)."""
    names = ["cpu"]
    try:
        _load_cupy()
        names.append("gpu")
    except InputError:
        pass
    return names
