"""Rebuild the search index from the rows of every registered kind (``portal.search``).

manage.py search_rebuild                 # every kind
manage.py search_rebuild --kind anomaly --kind meeting --batch 1000

The index is kept current on every save; this repairs it (after a bulk load, a restore, a
change of the segmenter's dictionary) and drops documents of rows that are gone.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from portal import search, search_services


class Command(BaseCommand):
    help = "Rebuild the portal's search index (progress printed per batch)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--kind", action="append", default=[], help="a kind to rebuild (repeatable)")
        parser.add_argument("--batch", type=int, default=500, help="rows per batch (default 500)")

    def handle(self, *args: Any, **options: Any) -> None:
        known = {kind.key for kind in search.kinds()}
        unknown = [key for key in options["kind"] if key not in known]
        if unknown:
            raise CommandError(f"unknown kind {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1")
        started = time.perf_counter()
        done = search_services.rebuild(
            keys=options["kind"], batch=options["batch"], progress=self.stdout.write
        )
        total = sum(done.values())
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"{total} documents indexed in {seconds:.1f} s ({total / seconds if seconds else 0:.0f}/s)"
        )
