"""A store server that cannot be reached becomes :class:`StoreUnavailable` (wire code ``store_unavailable``).

Each backend says which of its driver's errors mean "cannot be reached now"
(``is_unavailable``); the store's public operations are wrapped so a caller sees
one error type, the daemon stays up, and the write gate retries without counting
the attempt against the job.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sidecar.store.errors import StoreUnavailable


@contextmanager
def unavailable_as_error(backend: Any) -> Iterator[None]:
    """Re-raise ``backend``'s connection errors as :class:`StoreUnavailable`; anything else unchanged."""
    try:
        yield
    except StoreUnavailable:
        raise
    except Exception as exc:
        if backend.is_unavailable(exc):
            raise StoreUnavailable(f"the {backend.name} store cannot be reached now; retry later "
                                   f"({' '.join(str(exc).split())[:200]})") from None
        raise


def guard_methods(cls: type, names: Iterable[str]) -> None:
    """Wrap each named method of ``cls`` (whose instances have ``backend``) in :func:`unavailable_as_error`."""
    for name in names:
        setattr(cls, name, _guarded(getattr(cls, name)))


def _guarded(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
        with unavailable_as_error(self.backend):
            return method(self, *args, **kwargs)
    return guarded
