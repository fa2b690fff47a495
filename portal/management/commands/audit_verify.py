"""``manage.py audit_verify [--anchors FILE ...]``: walk the audit chain and exit non-zero at
the first record that does not fit (portal.audit_chain).

Every record's hash is computed again from its fields and compared with the one it carries
and with the next record's ``prev_hash``; the ``seq`` must count up with no gap; the
anchors in the database and in each exported anchors file given must match. The run is
recorded as an integrity check (the system page shows it). Exit status: 0 intact, 1 a
record does not fit (named on stderr), 2 an anchors file could not be read.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal import audit_chain, integrity


class Command(BaseCommand):
    help = "Walk the audit chain; exit 1 naming the first record that does not fit."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--anchors",
            action="append",
            default=[],
            metavar="FILE",
            help="an anchors file exported earlier (manage.py audit_anchors); may be given more than once",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        anchors: list[audit_chain.Anchor] = []
        for name in options["anchors"]:
            try:
                anchors += audit_chain.read_anchors(Path(name).read_text(encoding="utf-8"), source=name)
            except (OSError, UnicodeDecodeError, audit_chain.AnchorsFileError) as exc:
                raise CommandError(f"cannot read the anchors file {name}: {exc}", returncode=2) from None
        began = time.monotonic()
        check = integrity.integrity_check_now(
            kind=integrity.CHAIN, options={"anchors": anchors, "anchor_files": options["anchors"]}
        )
        took = time.monotonic() - began
        if check.status != check.Status.DONE:
            raise CommandError(f"the check could not finish: {check.error}")
        summary = check.summary
        self.stdout.write(
            f"{check.checked} records checked in {took:.1f} s; "
            f"{summary.get('anchors_checked', 0)} anchors compared; "
            f"head: record {summary.get('last_seq', 0)} {summary.get('last_hash', '')}"
        )
        if not check.intact:
            raise CommandError(f"the audit chain is broken: {check.problems[0]['what']}", returncode=1)
        self.stdout.write("the audit chain is intact")
