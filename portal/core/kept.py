"""Pieces of pages kept rendered in each worker's memory, keyed by everything they show.

A list page writes the same rows and the same filter fields for every reader who sees them:
twenty rows cost more Python to render than the rest of the page together. What a piece shows
is known before it is rendered (a row's shown values, a filter form's options and values), so
the rendered markup is kept under exactly that, with the reader's language and time zone: a
changed record, name or translation is a different key, and nothing kept can be out of date
or shown to a reader who does not already see the same values. Who may see a row is decided
by the list's query before any row is looked up here.

Unlike the page cache (``core.pagecache``), nothing here is shared between workers or
invalidated by writes: there is nothing to invalidate. The oldest pieces go first; a lock keeps
the two threads of a worker from keeping pieces at once (a look-up needs none: a dict read is
atomic under Python's lock).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from threading import Lock
from typing import Any

from markupsafe import Markup


class _Key(list):
    """A key whose hash is worked out once (as ``functools.lru_cache``'s): a row's key holds
    every value the row shows, nested, and hashing it again at each look-up cost more than
    the look-up."""

    __slots__ = ("hashvalue",)

    def __init__(self, key: tuple[Hashable, ...]) -> None:
        super().__init__(key)
        self.hashvalue = hash(key)

    def __hash__(self) -> int:  # type: ignore[override]
        return self.hashvalue


class KeptValues:
    """Values by key, at most ``size``, the oldest kept out first.

    A plain dict in the order values were kept: a value found is compared with its key once
    (an LRU cache compares it three times, to find it, read it and mark it used), and a value
    still asked for after ``size`` others were kept is made once more."""

    def __init__(self, size: int) -> None:
        self._kept: dict[_Key, Any] = {}
        self._size = size
        self._lock = Lock()

    def get(self, key: tuple[Hashable, ...], make: Callable[[], Any]) -> Any:
        """What ``make()`` gave for ``key`` before, or what it gives now (kept from now on). A
        key that cannot be hashed (a value holding a list) is made and not kept."""
        try:
            hashed = _Key(key)
        except TypeError:
            return self._made(make)
        found = self._kept.get(hashed)
        if found is None:
            found = self._made(make)
            with self._lock:
                while len(self._kept) >= self._size:
                    del self._kept[next(iter(self._kept))]
                self._kept[hashed] = found
        return found

    def _made(self, make: Callable[[], Any]) -> Any:
        return make()

    def __len__(self) -> int:
        return len(self._kept)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


class KeptRenderings(KeptValues):
    """Rendered markup by key (``KeptValues``): ``get(key, render)`` keeps what ``render()``
    writes, as markup."""

    def get(self, key: tuple[Hashable, ...], render: Callable[[], str]) -> Markup:
        return super().get(key, render)

    def _made(self, make: Callable[[], Any]) -> Markup:
        return Markup(make())  # noqa: S704 - a template's own, autoescaped output


def frozen(value: Any) -> Hashable:
    """``value`` as something a key can hold: sequences as tuples, the unhashable by repr."""
    if isinstance(value, KeptChoices):
        return value.frozen
    if isinstance(value, list | tuple):
        return tuple(frozen(item) for item in value)
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


class KeptChoices(tuple[Any, ...]):
    """A select field's choices made once and shared by the forms that show them (a list's
    filters, per language and reference data's version). What every request would otherwise
    work out from eighty choices is worked out once, when they are made: their frozen form for
    ``web.kept_form``'s key, and the values a field accepts (``core.forms.SelectField``)."""

    frozen: tuple[Hashable, ...]
    _accepted: dict[Callable[[Any], Any], frozenset[Any]]

    def __new__(cls, choices: Iterable[Any]) -> KeptChoices:
        made = super().__new__(cls, choices)
        made.frozen = tuple(frozen(choice) for choice in made)
        made._accepted = {}
        return made

    def accepted(self, coerce: Callable[[Any], Any]) -> frozenset[Any]:
        """The values a field coercing by ``coerce`` accepts (``SelectChoice`` values)."""
        found = self._accepted.get(coerce)
        if found is None:
            found = self._accepted[coerce] = frozenset(coerce(c.value) for c in self)
        return found
