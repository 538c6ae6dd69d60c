"""Output paths a command is about to write: never replace a user's file without being told to."""

from __future__ import annotations

from pathlib import Path

from imu_logger.errors import UserError


def refuse_overwrite(path: str | Path, overwrite: bool, option: str = "--out") -> Path:
    """``path`` as a Path; a UserError if it exists (a file, or a non-empty directory) and
    ``overwrite`` is false. ``option`` names the command-line option in the message."""
    path = Path(path)
    if overwrite or not path.exists():
        return path
    if path.is_dir() and not any(path.iterdir()):
        return path  # an empty directory holds nothing to lose
    what = "directory" if path.is_dir() else "file"
    raise UserError(f"{option} {path}: {what} already exists; pass --overwrite to replace it")


def make_private_dirs(path: str | Path) -> Path:
    """Create directory ``path`` and its missing parents, each owner-only (0700) whatever the
    umask; existing directories keep their modes."""
    path = Path(path)
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for p in reversed(missing):
        p.mkdir(mode=0o700, exist_ok=True)
        p.chmod(0o700)  # mkdir's mode is masked by the umask, which may be stricter or not
    return path
