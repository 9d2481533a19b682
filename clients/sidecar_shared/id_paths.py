"""File names for user, agent and run ids: one id, one name, never a path outside its folder.

Ids arrive from clients as any text: dots, slashes, ``..``, case variants,
any Unicode. :func:`path_name` gives each one a single path component such that

* two distinct ids never share a name, even on a case-insensitive or a
  Unicode-normalising file system (macOS): plain ids (lower-case ASCII letters,
  digits, ``_ - @`` and single inner dots, at most 64 characters) are their own
  name; every other id becomes a readable ASCII slug, ``~`` and a hash of the
  exact id, and no plain name contains ``~``;
* a name is never ``.`` or ``..``, never starts with a dot and holds no separator.

:func:`legacy_path_name` is the naming of earlier versions, which folded
distinct ids together (``alice.``/``alice``, ``a_b``/``a/b``); it is kept only to
find files those versions wrote.
"""

from __future__ import annotations

import hashlib
import re

MAX_PLAIN = 64
SLUG_CHARS = 40
HASH_CHARS = 20  # 80 bits: finding a second id for a given name is out of reach
HASH_SEPARATOR = "~"

_PLAIN = re.compile(r"[a-z0-9_@-]+(?:\.[a-z0-9_@-]+)*")
_SLUG_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]+")
_LEGACY_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]+")


def id_hash(identifier: str) -> str:
    """A short hex digest of the exact id (no normalisation of case or Unicode)."""
    return hashlib.sha256(identifier.encode("utf-8", errors="surrogatepass")).hexdigest()[:HASH_CHARS]


def is_plain(identifier: str) -> bool:
    """True for ids that are their own file name (see the module docstring)."""
    return len(identifier) <= MAX_PLAIN and _PLAIN.fullmatch(identifier) is not None


def path_name(identifier: str) -> str:
    """The one path component that stands for ``identifier`` (injective; see the module docstring)."""
    if is_plain(identifier):
        return identifier
    slug = _SLUG_UNSAFE.sub("_", identifier).lstrip(".")[:SLUG_CHARS] or "id"
    return f"{slug}{HASH_SEPARATOR}{id_hash(identifier)}"


def legacy_path_name(identifier: str) -> str:
    """The folder name earlier versions used for ``identifier`` (not injective)."""
    return _LEGACY_UNSAFE.sub("_", identifier).strip("._") or "user"
