"""One bounded way to read every file the user names (specs, problems, answers, data, weights).

Only regular files are read (after following symlinks): a FIFO would block, ``/dev/zero`` would
never end, a directory is not a file. The size is checked before reading, and the read itself
stops past the limit (a file that grows while read). Text files have a limit no real spec,
problem or answers file reaches; data and weights files a larger one.
"""

from __future__ import annotations

import os
import stat

from calc.errors import InputError, NNCalcError, Where

MiB = 1 << 20
TEXT_LIMIT = 4 * MiB  # specs, problems, answers: the largest bundled file is a few KiB
DATA_LIMIT = 1024 * MiB  # data sets, inputs and weights (.csv, .npy, .npz)


def _size_text(n: int) -> str:
    from calc.memory import fmt_bytes

    return fmt_bytes(n)


def check_file(path, limit: int = TEXT_LIMIT, error: type[NNCalcError] = InputError) -> int:
    """The size of ``path`` if it is a regular file within ``limit`` bytes, else ``error``."""
    name = str(path)
    try:
        info = os.stat(path)  # follows symlinks: a link to /dev/zero is a character device
    except FileNotFoundError:
        raise error("no such file", Where(name)) from None
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror}", Where(name)) from None
    if stat.S_ISDIR(info.st_mode):
        raise error("is a directory, expected a file", Where(name))
    if not stat.S_ISREG(info.st_mode):
        raise error("not a regular file (a device, FIFO or socket cannot be read as input)", Where(name))
    if info.st_size > limit:
        raise error(f"the file is {_size_text(info.st_size)}; files up to {_size_text(limit)} are read",
                    Where(name))
    return info.st_size


def read_bytes(path, limit: int = TEXT_LIMIT, error: type[NNCalcError] = InputError) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (never blocks on a FIFO)."""
    name = str(path)
    check_file(path, limit, error)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror}", Where(name)) from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):  # swapped after the check
            raise error("not a regular file", Where(name))
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise error(f"cannot read: {exc.strerror}", Where(name)) from None
    if len(data) > limit:
        raise error(f"the file is over {_size_text(limit)}; files up to {_size_text(limit)} are read", Where(name))
    return data


def read_text(path, limit: int = TEXT_LIMIT, error: type[NNCalcError] = InputError) -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes."""
    data = read_bytes(path, limit, error)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise error("not a UTF-8 text file", Where(str(path))) from None


def read_head(path, size: int = 64, error: type[NNCalcError] = InputError) -> bytes:
    """The first ``size`` bytes of a regular file (any size): enough to tell what kind of file it is
    before the whole of it is read under the limit that kind has."""
    name = str(path)
    check_file(path, 1 << 62, error)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror}", Where(name)) from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise error("not a regular file", Where(name))
        try:
            return handle.read(size)
        except OSError as exc:
            raise error(f"cannot read: {exc.strerror}", Where(name)) from None
