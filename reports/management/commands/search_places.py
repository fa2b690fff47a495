"""Write the search's dictionary of place names from the offline gazetteer.

manage.py search_places        # reports/data/search_places.txt (committed; read by portal.search_text)

Reading the gazetteer takes seconds, too long for every process that segments text, so its
Chinese names are written once to a jieba user dictionary: each town and county in its full
and its bare form (敖阳镇 and 敖阳, 上高县 and 上高), so 玛多 finds 玛多县.
"""

from __future__ import annotations

import re
import time
from typing import Any

from django.core.management.base import BaseCommand

from reports import gazetteer
from reports.search_kinds import PLACES_FILE

SUFFIXES = ("自治县", "自治旗", "街道", "苏木", "县", "市", "区", "旗", "镇", "乡", "村")
# a place name's weight in the segmenter: enough to keep it whole, below the common words
FREQUENCY = 2000


def place_words(name_zh: str) -> set[str]:
    words: set[str] = set()
    for part in re.split(r"[（）()\s]+", name_zh):
        if len(part) < 2 or not gazetteer.HAN.search(part):
            continue
        words.add(part)
        for suffix in SUFFIXES:
            if part.endswith(suffix) and len(part) - len(suffix) >= 2:
                words.add(part[: -len(suffix)])
                break
    return words


class Command(BaseCommand):
    help = "Write the search's place-name dictionary from the gazetteer (reports/data/search_places.txt)."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        words: set[str] = set()
        for row in gazetteer.read_rows(countries={"CN"}):
            if row.name_zh:
                words |= place_words(row.name_zh)
        PLACES_FILE.parent.mkdir(parents=True, exist_ok=True)
        with open(PLACES_FILE, "w", encoding="utf-8") as handle:
            handle.write(
                f"# {gazetteer.ATTRIBUTION}: Chinese place names for the search (manage.py search_places)\n"
            )
            for word in sorted(words):
                handle.write(f"{word} {FREQUENCY} ns\n")
        self.stdout.write(
            f"{len(words)} place names written to {PLACES_FILE} in {time.perf_counter() - started:.1f} s"
        )
