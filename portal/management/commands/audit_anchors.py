"""``manage.py audit_anchors [--since YYYY-MM-DD] [--output FILE]``: the audit chain's daily
anchors as a JSON file to keep (and sign) outside the database; ``audit_verify --anchors
FILE`` later proves the chain was not rewritten up to them. Every complete Beijing day is
anchored first."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal import integrity


class Command(BaseCommand):
    help = "Export the audit chain's daily anchors (JSON) to stdout or --output FILE."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", metavar="YYYY-MM-DD", help="only the anchors of this day on")
        parser.add_argument("--output", metavar="FILE", help="write the file here instead of stdout")

    def handle(self, *args: Any, **options: Any) -> None:
        since = None
        if options["since"]:
            try:
                since = dt.date.fromisoformat(options["since"])
            except ValueError:
                raise CommandError(f"--since: not a date: {options['since']}") from None
        text = integrity.anchors_export(since=since)
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
            self.stderr.write(f"anchors written to {options['output']}")
        else:
            self.stdout.write(text, ending="")
