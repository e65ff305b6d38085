"""Files bprop writes (train --save, train --plot, graph -o): whole or not at all.

A run that fails half-way through writing (a full disk, a file-size limit, a Graphviz that
dies) must not leave a truncated file where a good one is expected, nor destroy the good file
that was there before: so each file is written beside its target under a temporary name and
renamed over it only once it is complete. A target that is no ordinary file (/dev/stdout, a
named pipe) cannot be replaced and is written directly.
"""

from __future__ import annotations

import os
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from bprop_cli.errors import OutputError


def _cannot(path: Path, err: OSError) -> OutputError:
    return OutputError(f"cannot write {str(path)!r}: {err.strerror or err}")


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """The path to write `path`'s new content to: when the block ends without an error it
    becomes `path` (keeping the old file's permissions); when it fails it is removed and the
    old file, if any, is left as it was. An OSError is one OutputError naming `path`."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as err:
        raise _cannot(path, err) from None
    if mode is not None and stat.S_ISDIR(mode):
        raise _cannot(path, IsADirectoryError(21, "Is a directory"))
    if mode is not None and not stat.S_ISREG(mode):  # /dev/stdout, a pipe: nothing to rename over
        try:
            yield path
        except OSError as err:
            raise _cannot(path, err) from None
        return
    target = Path(os.path.realpath(path))  # a link keeps pointing where it pointed
    # The suffix stays last: matplotlib and Graphviz read the format from the name.
    temporary = target.with_name(f".{target.stem}.{os.getpid()}.partial{target.suffix}")
    try:
        os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except OSError as err:
        raise _cannot(path, err) from None
    try:
        yield temporary
        if mode is not None:
            os.chmod(temporary, stat.S_IMODE(mode))
        os.replace(temporary, target)
    except OSError as err:
        _remove(temporary)
        raise _cannot(path, err) from None
    except BaseException:
        _remove(temporary)
        raise


def _remove(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def write_text(path: Path, text: str) -> None:
    """`text` as the whole of `path` (UTF-8), or an OutputError and no partial file."""
    with replacing(path) as temporary:
        with open(temporary, "w", encoding="utf-8") as out:
            out.write(text)
