"""``manage.py import_series FILE --format iaga2002|csv|cea [--bureau JX] [--channel ID | --station CODE]``:
the same import as the upload, run here synchronously in one transaction."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from observations.importers import PARSERS, FormatError
from observations.series_selectors import series_command_targets
from observations.services.series_import import series_import_file
from portal.exceptions import NotFound
from portal.selectors import bureau_by_code


class Command(BaseCommand):
    help = "Import an observation series file (IAGA-2002, CSV) into a bureau's channels: all or nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--format", required=True, choices=PARSERS)
        parser.add_argument("--bureau", help="bureau code (default: the bureau of --channel or --station)")
        target = parser.add_mutually_exclusive_group()
        target.add_argument("--channel", type=int, help="the channel of a single-column file")
        target.add_argument("--station", help="the station the file's columns belong to")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            channel, station = series_command_targets(
                channel_id=options["channel"], station_code=options["station"]
            )
        except NotFound as problem:
            raise CommandError(str(problem)) from None
        bureau = None
        if options["bureau"]:
            bureau = bureau_by_code(code=options["bureau"].upper())
            if bureau is None:
                raise CommandError(f"no bureau with code {options['bureau']}")
        bureau = bureau or (channel.bureau if channel else station.bureau if station else None)
        if bureau is None:
            raise CommandError("give --bureau (or --channel / --station)")
        path = Path(options["file"])
        try:
            data = path.read_bytes()
            summary = series_import_file(
                bureau=bureau,
                data=data,
                file_format=options["format"],
                actor=None,
                channel=channel,
                station=station,
                source=f"import_series {path.name}",
            )
        except FormatError as problem:
            raise CommandError(f"{path.name}: {problem} (nothing was stored)") from None
        except OSError as problem:
            raise CommandError(str(problem)) from None
        self.stdout.write(json.dumps(summary.as_dict()))
