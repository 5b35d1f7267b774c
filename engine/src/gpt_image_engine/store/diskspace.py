"""Disk space and writability of the engine's folders, as coded errors.

`ensure_room(folder)` runs before a job is dispatched: `storage_full` when the folder's
filesystem has less than `min_free_bytes()` free (`GPT_IMAGE_2_MIN_FREE_BYTES`, default
64 MiB: room for a 4K response, its decoded image and the history row), and
`jobs_dir_unwritable` when the folder is read-only. `storage_error(exc)` maps an
`OSError` from a write to the same codes (ENOSPC/EDQUOT/EFBIG -> storage_full;
EROFS/EACCES/EPERM -> jobs_dir_unwritable; anything else -> output_write_failed).
Messages name the folder by its role, not by its absolute path: a gateway user has no
business knowing the engine host's layout; the engine log has the path.
"""

from __future__ import annotations

import errno
import logging
import os
from pathlib import Path

from gpt_image_engine.errors import AppError

log = logging.getLogger("gpt_image_engine.store")

MIN_FREE_ENV = "GPT_IMAGE_2_MIN_FREE_BYTES"
DEFAULT_MIN_FREE_BYTES = 64 * 1024 * 1024
_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_READ_ONLY = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})


def min_free_bytes() -> int:
    try:
        return max(0, int(os.environ.get(MIN_FREE_ENV) or DEFAULT_MIN_FREE_BYTES))
    except ValueError:
        return DEFAULT_MIN_FREE_BYTES


def is_out_of_space(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in _FULL


def _full(role: str, free: int | None, needed: int) -> AppError:
    detail: dict[str, object] = {"folder": role, "needed_bytes": needed}
    if free is not None:
        detail["free_bytes"] = free
    return AppError(
        "storage_full",
        f"The engine's {role} folder is out of space: free some space on its disk, then try again "
        "(a response already received is kept: `jobs resume --action continue_save`).",
        detail,
    )


def _unwritable(role: str, reason: str) -> AppError:
    return AppError(
        "jobs_dir_unwritable",
        f"The engine's {role} folder is not writable ({reason}): make it writable, "
        "or point the engine at another state folder (CODEX_HOME).",
        {"folder": role, "reason": reason},
    )


def storage_error(exc: OSError, path: Path, role: str = "jobs") -> AppError:
    """The coded error for a failed write of `path` (logged with its path)."""
    log.warning("write failed in the %s folder: %s (%s)", role, path, exc.strerror)
    if exc.errno in _FULL:
        return _full(role, None, 0)
    if exc.errno in _READ_ONLY:
        return _unwritable(role, exc.strerror or "permission denied")
    return AppError("output_write_failed", f"Could not write a file in the {role} folder: {exc.strerror}.")


def ensure_room(folder: Path, role: str = "jobs", needed: int | None = None) -> None:
    """storage_full / jobs_dir_unwritable before any work that will write into `folder`."""
    need = min_free_bytes() if needed is None else needed
    try:
        stats = os.statvfs(folder)
    except OSError as exc:
        raise storage_error(exc, folder, role) from None
    if stats.f_flag & os.ST_RDONLY:
        raise _unwritable(role, "read-only file system")
    if not os.access(folder, os.W_OK):
        raise _unwritable(role, "permission denied")
    free = stats.f_bavail * stats.f_frsize
    if free < need:
        log.warning("%s folder %s has %d bytes free, below %d", role, folder, free, need)
        raise _full(role, free, need)
