"""Run one nncalc command line the way a user would, inside hard limits, and judge how it ended.

Each case runs in a forked child of the test process: the parent has already imported nncalc and
its heavy modules, so a fork costs milliseconds, while the child still gets what only a separate
process gives: an address-space limit (RLIMIT_AS), a file-size limit, a CPU-time limit and a
wall-clock alarm that kill it even inside one long C call (``10**999999999``) or a blocked read. The child calls ``cli.main()`` exactly as the
console script does, in a fresh temporary directory holding the case's files, stdin from
/dev/null. A case passes when it exits 0, 1 or 2, in time, with no traceback and without reaching
main()'s last-resort handler.
"""

from __future__ import annotations

import os
import resource
import shlex
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TIME_LIMIT_S = 10  # CPU seconds (RLIMIT_CPU): the bound holds on a loaded machine too
WALL_FACTOR = 3  # wall-clock alarm at 3x: catches a case that blocks (a FIFO) without using CPU
MEMORY_LIMIT = 1536 << 20  # bytes of address space a case may add to what the parent already maps
FILE_LIMIT = 64 << 20  # largest file a case may write (its stdout and stderr included)
ESCAPED = 99  # child exit code: an exception escaped cli.main() (no last-resort handler reached)
INTERNAL_ERROR = 70  # cli.main()'s last-resort handler (EX_SOFTWARE)
FIFO = object()  # a file value that makes a named pipe with no writer


@dataclass
class Case:
    """A command line and the files it may name (relative names; bytes, str or FIFO)."""

    argv: list[str]
    files: dict = field(default_factory=dict)
    env: dict = field(default_factory=dict)

    def command(self, abbreviate: bool = False) -> str:
        """The shell command line; abbreviated, long words read '999...[5000 chars]' (for reports)."""
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.env.items())
        words = [a[:24] + f"...[{len(a)} chars]" if abbreviate and len(a) > 60 else a for a in self.argv]
        return (env + " " if env else "") + "nncalc " + " ".join(shlex.quote(a) for a in words)

    def describe(self, limit: int = 300) -> str:
        lines = [self.command(abbreviate=True)]
        for name, data in self.files.items():
            text = "(fifo)" if data is FIFO else data if isinstance(data, str) else repr(data[:limit])
            lines.append(f"  file {name} ({len(text)} chars): {text[:limit]!r}")
        return "\n".join(lines)


@dataclass
class Outcome:
    code: int | None  # exit code, None when killed by a signal
    signal: int | None
    seconds: float
    stdout: str
    stderr: str

    def failure(self) -> str | None:
        """None when the case ended as the standards require, else a short signature of what went wrong."""
        if self.signal == signal.SIGXCPU:
            return "timeout (CPU-time limit)"
        if self.signal == signal.SIGALRM:
            return "blocked (wall-clock limit)"
        if self.signal is not None:
            return f"killed by {signal.Signals(self.signal).name}"
        tb = "Traceback (most recent call last)" in self.stderr
        if self.code in (0, 1, 2) and not tb and "internal error" not in self.stderr:
            return None
        return f"exit {self.code}: {last_line(self.stderr)}"


def signature(case: Case, outcome: Outcome) -> str:
    """What groups failures of one cause: the exception type and the innermost nncalc frame; for a
    timeout or a kill, the command."""
    problem = outcome.failure()
    if outcome.signal is not None:
        return f"{problem} in nncalc {' '.join(case.argv[:2] if case.argv[:1] == ['size'] else case.argv[:1])}"
    lines = [line for line in outcome.stderr.splitlines() if line.strip() and not line.startswith("nncalc:")]
    kind = lines[-1].split(":")[0].strip()[:60] if lines else last_line(outcome.stderr)
    return f"{kind} at {innermost_frame(outcome.stderr)}"


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else "(no stderr)"


def innermost_frame(stderr: str) -> str:
    """'calc/x.py:fn' of the deepest traceback frame in nncalc's own code (groups failures by place)."""
    frames = [line.strip() for line in stderr.splitlines() if line.strip().startswith('File "')]
    ours = [f for f in frames if "site-packages" not in f and "/lib/python" not in f] or frames
    if not ours:
        return ""
    parts = ours[-1].split('"')
    where = parts[1].removeprefix(str(ROOT) + "/") if len(parts) > 1 else ""
    return f"{where}:{ours[-1].rsplit('in ', 1)[-1]}"


def run_case(case: Case, time_limit: int = TIME_LIMIT_S) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="nncalc-fuzz-") as tmp:
        work = Path(tmp)
        for name, data in case.files.items():
            path = work / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if data is FIFO:
                os.mkfifo(path)
            else:
                path.write_bytes(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
        out, err = work / ".stdout", work / ".stderr"
        start = time.monotonic()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(case, work, out, err, time_limit)
        status = _wait(pid, time_limit * WALL_FACTOR + 5)
        seconds = time.monotonic() - start
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
        sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        return Outcome(code, sig, seconds, _read(out), _read(err))


def _wait(pid: int, limit: float) -> int:
    """waitpid with a backstop: SIGKILL a child that outlives its own alarm."""
    deadline = time.monotonic() + limit
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            return os.waitpid(pid, 0)[1]
        time.sleep(0.002)


def _read(path: Path, limit: int = 200_000) -> str:
    """The last ``limit`` bytes: a traceback's last line is what matters."""
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, os.path.getsize(path) - limit))
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _child(case: Case, work: Path, out: Path, err: Path, time_limit: int) -> None:
    """In the forked child: limits, redirections, then cli.main(); never returns."""
    code = ESCAPED
    try:
        os.chdir(work)
        for fd, path, flags in ((0, os.devnull, os.O_RDONLY), (1, out, os.O_WRONLY | os.O_CREAT),
                                (2, err, os.O_WRONLY | os.O_CREAT)):
            os.dup2(os.open(path, flags), fd)
        # pytest may have replaced the sys streams: talk to the real descriptors, as a console script does
        sys.stdin, sys.stdout, sys.stderr = (open(fd, mode, encoding="utf-8", closefd=False)
                                             for fd, mode in ((0, "r"), (1, "w"), (2, "w")))
        os.environ.update({"NNCALC_TRACEBACK": "1", "COLUMNS": "80", **case.env})
        resource.setrlimit(resource.RLIMIT_AS, (_mapped() + MEMORY_LIMIT,) * 2)
        resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT,) * 2)
        resource.setrlimit(resource.RLIMIT_CPU, (time_limit, time_limit + 1))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core files from the CPU-limit signal
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.alarm(time_limit * WALL_FACTOR)
        import cli

        sys.argv = ["nncalc", *case.argv]
        try:
            cli.main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    except BaseException:  # the point of the fuzzer: report whatever escaped
        traceback.print_exc()
        code = ESCAPED
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _mapped() -> int:
    """Bytes of address space this process maps now (VmSize)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0
