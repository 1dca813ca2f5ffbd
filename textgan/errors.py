"""User-facing errors.

`UserError` is raised for anything the user can fix (a missing file, a bad config value, an unknown
model). The CLIs catch it and print its message as one line, exiting with code 2, so a user never sees
a traceback from deep inside the library for a mistake of their own.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path


class UserError(Exception):
    """A problem with the user's input; its message names the problem and the fix."""

    exit_code = 2


class CliParser(argparse.ArgumentParser):
    """argparse whose usage errors are `UserError`s: one line (`error: ...`, exit code 2) through `cli_entry`
    like every other input error, instead of the usage block and a SystemExit (which also ended a Python
    caller of `main(argv)`); `--help` still prints the full usage."""

    def __init__(self, *args, prog: str | None = None, **kwargs) -> None:
        # `prog` names the module form (python -m textgan.compare); run as its console script (textgan-compare)
        # the usage and the error hint name what the user typed instead
        script = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
        if prog and prog.startswith("python -m textgan") and script.startswith("textgan-"):
            prog = script
        super().__init__(*args, prog=prog, **kwargs)

    def error(self, message: str):  # argparse's hook for every usage error
        raise UserError(f"{message}; see {self.prog} --help")


def check_output_file(path: str | Path, flag: str, suffix: str | None = None) -> None:
    """Refuse an output path that cannot be written (or, with `suffix`, that names another kind of file, e.g.
    a plot not ending in .png), before the work whose result it would hold is done."""
    p = Path(path)
    if suffix is not None and p.suffix.lower() != suffix:
        raise UserError(f"{flag} '{p}' must be a {suffix} file")
    if p.is_dir():
        raise UserError(f"{flag} '{p}' is a directory; give a file name inside it")
    if not p.parent.is_dir():
        raise UserError(f"{flag} '{p}': folder '{p.parent}' does not exist; create it or choose another path")


def write_output_file(path: str | Path, text: str | Iterable[str]) -> int:
    """Write a CLI's result file (--out, --json): `text`, or lines written as they come (a stream of samples);
    returns the number of lines. Written to a temporary file renamed at the end, so a failure or Ctrl-C
    midway leaves no half-written file; a failed write is a one-line error naming the file."""
    out = Path(path)
    tmp = out.with_name(f".{out.name}.part")
    count = 0
    try:
        with open(tmp, "w") as f:
            if isinstance(text, str):
                f.write(text)
                count = text.count("\n")
            else:
                for line in text:
                    f.write(line + "\n")
                    count += 1
        os.replace(tmp, out)
    except OSError as err:
        raise UserError(f"cannot write '{path}' ({err.strerror})") from None
    finally:
        tmp.unlink(missing_ok=True)
    return count


def _stdout_reader_gone() -> bool:
    """Whether stdout is a pipe whose reading end is closed (poll reports an error on it)."""
    try:
        import select

        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no poll (Windows) or no real stdout: the usual case
        return True


def cli_entry(main: Callable[[list[str] | None], int | None]) -> Callable[[list[str] | None], int]:
    """Wrap a CLI `main(argv)` so that a `UserError` becomes one line on stderr and exit code 2."""

    @functools.wraps(main)
    def wrapped(argv: list[str] | None = None) -> int:
        from textgan.allocator import keep_freed_memory

        keep_freed_memory()   # large decode/score buffers: reuse instead of page-faulting (allocator.py)
        try:
            return main(argv) or 0
        except UserError as err:
            print(f"error: {err}", file=sys.stderr)
            return err.exit_code
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130
        except BrokenPipeError:
            if not _stdout_reader_gone():  # another pipe or socket broke: not ours to silence
                raise
            # the reader of our output went away (`... | head`): stop quietly, as Unix tools do
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # the interpreter's final flush would raise again
            return 141  # 128 + SIGPIPE

    return wrapped
