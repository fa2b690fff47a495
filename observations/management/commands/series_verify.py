"""``manage.py series_verify [--bureau CODE]``: hash every stored channel-day again and list
those that no longer match what was received (observations.evidence); exit 1 if any.

Each problem is printed as it is found (``kind``, channel and day, what is wrong); the run
is recorded as an integrity check, so the integrity page shows it as the last verification.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from observations.services.series_verify import KIND
from portal import integrity
from portal.selectors import bureau_by_code


class Command(BaseCommand):
    help = (
        "Check the stored series against the hashes recorded when they were received; exit 1 on a mismatch."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bureau", help="only this bureau's channels (code)")

    def handle(self, *args: Any, **options: Any) -> None:
        bureau_id = None
        if options["bureau"]:
            bureau = bureau_by_code(code=options["bureau"].upper())
            if bureau is None:
                raise CommandError(f"no bureau with code {options['bureau']}", returncode=2)
            bureau_id = bureau.pk

        def report(problem: dict[str, Any]) -> None:
            self.stdout.write(
                f"{problem['kind']}\tchannel {problem['channel']}\t{problem['where']}\t{problem['what']}"
            )

        began = time.monotonic()
        check = integrity.integrity_check_now(kind=KIND, options={"bureau_id": bureau_id, "report": report})
        took = time.monotonic() - began
        if check.status != check.Status.DONE:
            raise CommandError(f"the check could not finish: {check.error}")
        self.stdout.write(
            f"{check.checked} channel-days checked in {took:.1f} s; "
            f"{check.summary.get('unevidenced', 0)} stored without evidence"
        )
        if not check.intact:
            raise CommandError(
                f"{check.problem_count} stored channel-days do not match what was received", returncode=1
            )
        self.stdout.write("every stored channel-day matches what was received")
