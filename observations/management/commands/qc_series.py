"""``manage.py qc_series [--channel ID] [--station CODE] [--since DATE]``: run quality control
over the stored days of the chosen channels (all of them without a choice), here and now;
prints each channel's days checked and flagged."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from observations.qc_selectors import qc_command_ranges
from observations.services.qc_run import qc_check_days


class Command(BaseCommand):
    help = "Run quality control over stored observation series (every channel, or those chosen)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--channel", type=int, help="a channel id")
        parser.add_argument("--station", help="a station code: all its channels")
        parser.add_argument("--since", help="first UTC day to check (YYYY-MM-DD); default: the first stored")

    def handle(self, *args: Any, **options: Any) -> None:
        since = None
        if options["since"]:
            try:
                since = dt.date.fromisoformat(options["since"])
            except ValueError:
                raise CommandError(f"--since: {options['since']!r} is not a date (YYYY-MM-DD)") from None
        ranges = qc_command_ranges(
            channel_id=options["channel"], station_code=options["station"], since=since
        )
        if not ranges and (options["channel"] or options["station"]):
            raise CommandError("no stored series for that channel or station")
        failed = 0
        for channel, first, last in ranges:
            try:
                run = qc_check_days(channel, first, last)
            except Exception as exc:  # noqa: BLE001 - reported, and the other channels go on
                failed += 1
                self.stderr.write(f"channel {channel.pk} ({channel.station.code} {channel.item.code}): {exc}")
                continue
            self.stdout.write(
                f"channel {channel.pk} ({channel.station.code} {channel.item.code}): "
                f"{run.days} days checked, {run.flagged} flagged, {run.changed} changed, {run.seconds} s"
            )
        if failed:
            raise CommandError(f"{failed} channel(s) failed")
