"""``manage.py import_events FILE --format csv|text|quakeml --bureau CODE``."""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.formats import FormatError
from catalog.services.import_writer import FORMATS, IMPORT_BATCH_SIZE, ImportSummary, import_file
from catalog.services.imports import guess_format
from portal.selectors import bureau_by_code


class Command(BaseCommand):
    help = (
        "Import a catalog file (CSV, FDSN text or QuakeML 1.2) into a bureau's catalog, in one transaction."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--format", choices=FORMATS, help="default: from the file name")
        parser.add_argument("--bureau", required=True, help="bureau code, e.g. JX")
        parser.add_argument("--no-publish", action="store_true", help="keep the events inside the bureau")
        parser.add_argument("--batch-size", type=int, default=IMPORT_BATCH_SIZE)
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["file"]
        file_format = options["format"] or guess_format(path)
        if file_format is None:
            raise CommandError("cannot tell the format from the file name; give --format")
        bureau = bureau_by_code(code=options["bureau"].upper())
        if bureau is None:
            raise CommandError(f"no bureau with code {options['bureau']}")
        started = time.monotonic()

        def progress(summary: ImportSummary) -> None:
            rate = summary.rows_read / max(1e-6, time.monotonic() - started)
            sys.stderr.write(
                f"\r{summary.fraction:6.1%}  rows {summary.rows_read}  inserted {summary.inserted}  "
                f"updated {summary.updated}  rejected {summary.rejected}  ({rate:.0f} rows/s)"
            )

        try:
            with open(path, "rb") as handle:
                summary = import_file(
                    bureau=bureau,
                    fileobj=handle,
                    file_format=file_format,
                    size=os.path.getsize(path),
                    publish=not options["no_publish"],
                    batch_size=options["batch_size"],
                    progress=progress if options["verbosity"] >= 1 else None,
                )
        except FormatError as problem:
            where = f"line {problem.line}: " if problem.line else ""
            raise CommandError(f"{path}: {where}{problem.message} (nothing was stored)") from None
        except OSError as problem:
            raise CommandError(str(problem)) from None
        sys.stderr.write("\n")
        elapsed = time.monotonic() - started
        if options["json"]:
            self.stdout.write(json.dumps({**summary.as_dict(), "seconds": round(elapsed, 2)}))
            return
        self.stdout.write(
            f"inserted {summary.inserted}, updated {summary.updated}, unchanged {summary.unchanged}, "
            f"rejected {summary.rejected} of {summary.rows_read} rows in {elapsed:.1f} s"
        )
        for error in summary.errors[:50]:
            self.stdout.write(f"  line {error['line']}: {error['reason']}")
        if summary.rejected > 50:
            self.stdout.write(f"  ... and {summary.rejected - 50} more")
