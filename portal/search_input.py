"""What someone asked the search, checked once for the page and the API: the words, the
kinds, the bureau and the dates. A bad value is ``InvalidInput`` naming its field (a 400)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from . import search, search_text
from .exceptions import InvalidInput
from .search_selectors import SearchFilter, bureau_by_code
from .timefmt import BEIJING
from .validators import WORK_DATE_MAX, WORK_DATE_MIN, is_work_date

if TYPE_CHECKING:
    from collections.abc import Sequence

#: the longest query accepted (characters)
Q_MAX_LENGTH = 200
#: at most this many words are searched for (the rest of a pasted paragraph is ignored)
WORDS_MAX = 12


def search_filter(
    *,
    q: str,
    kinds: Sequence[str] = (),
    bureau_code: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> SearchFilter:
    q = " ".join((q or "").split())
    if not q:
        raise InvalidInput(_("Type the words to search for."), field="q")
    if len(q) > Q_MAX_LENGTH:
        raise InvalidInput(_("Search for at most %(n)d characters.") % {"n": Q_MAX_LENGTH}, field="q")
    if "\x00" in q:
        raise InvalidInput(_("The search may not contain a NUL character."), field="q")
    words = search_text.query_words(q)[:WORDS_MAX]
    if not words:
        raise InvalidInput(_("The search has no words or numbers in it."), field="q")
    known = {kind.key for kind in search.kinds()}
    for key in kinds:
        if key not in known:
            raise InvalidInput(_("There is no kind %(kind)s.") % {"kind": key}, field="kind")
    bureau = None
    if bureau_code:
        bureau = bureau_by_code(bureau_code)
        if bureau is None:
            raise InvalidInput(_("There is no bureau %(code)s.") % {"code": bureau_code}, field="bureau")
    for field, value in (("from", date_from), ("to", date_to)):
        if value is not None and not is_work_date(value):
            raise InvalidInput(
                _("Dates lie in the years %(first)d to %(last)d.")
                % {"first": WORK_DATE_MIN.year, "last": WORK_DATE_MAX.year},
                field=field,
            )
    if date_from and date_to and date_to < date_from:
        raise InvalidInput(_("The end date comes before the start date."), field="to")
    return SearchFilter(
        words=tuple(words),
        kinds=tuple(dict.fromkeys(kinds)),
        bureau=bureau,
        # Beijing days: "to" includes its whole day
        date_from=dt.datetime.combine(date_from, dt.time(), tzinfo=BEIJING) if date_from else None,
        date_to=dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(), tzinfo=BEIJING)
        if date_to
        else None,
    )
