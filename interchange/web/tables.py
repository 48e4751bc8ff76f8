"""Tables with server-side sorting: sort links and aria-sort for the shared table include.

Sorting only the rows on one page is wrong, so a column's link asks the server
to sort the whole result; the view orders its queryset by `SortState.order_by`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.http import HttpRequest, QueryDict
from django.utils.functional import Promise


@dataclass(frozen=True)
class Column:
    label: str | Promise
    key: str | None = None  # the sort key; None means not sortable
    order_field: str | None = None  # model field to order by; defaults to key
    numeric: bool = False


@dataclass(frozen=True)
class Cell:
    text: object
    href: str | None = None
    numeric: bool = False


@dataclass(frozen=True)
class HeaderCell:
    label: str | Promise
    sort_href: str | None
    aria_sort: str | None
    numeric: bool


@dataclass
class SortState:
    key: str
    descending: bool

    def order_by(self, columns: Sequence[Column], tiebreak: str = "pk") -> list[str]:
        """ORDER BY terms for a queryset, with a unique tiebreak so pages never overlap."""
        column = next(c for c in columns if c.key == self.key)
        name = column.order_field or column.key or tiebreak
        sign = "-" if self.descending else ""
        return [f"{sign}{name}", f"{sign}{tiebreak}"]


def read_sort(
    request: HttpRequest, columns: Sequence[Column], default: str, descending: bool = False
) -> SortState:
    """The sort asked for in `?sort=key&order=asc|desc`; unknown keys fall back to the default."""
    keys = {c.key for c in columns if c.key}
    key = request.GET.get("sort", default)
    if key not in keys:
        return SortState(default, descending)
    order = request.GET.get("order")
    return SortState(key, descending if order not in {"asc", "desc"} else order == "desc")


@dataclass
class Table:
    columns: Sequence[Column]
    rows: Iterable[Sequence[Cell]]
    sort: SortState | None = None
    query: QueryDict | None = None
    caption: str | Promise | None = None
    empty_text: str | Promise = ""
    header: list[HeaderCell] = field(init=False)

    def __post_init__(self) -> None:
        self.header = [self._header(c) for c in self.columns]

    def _header(self, column: Column) -> HeaderCell:
        if column.key is None or self.sort is None:
            return HeaderCell(column.label, None, None, column.numeric)
        active = column.key == self.sort.key
        if active:
            aria = "descending" if self.sort.descending else "ascending"
            next_order = "asc" if self.sort.descending else "desc"
        else:
            aria, next_order = "none", "asc"
        params = self.query.copy() if self.query is not None else QueryDict(mutable=True)
        params["sort"] = column.key
        params["order"] = next_order
        params.pop("after", None)  # a new order starts from the first page
        return HeaderCell(column.label, f"?{params.urlencode()}", aria, column.numeric)


@dataclass(frozen=True)
class PageLinks:
    previous_href: str | None = None
    next_href: str | None = None
