"""Writes of the disciplines app, one module per concept:

* ``units``: reporting units and the per-bureau anomaly settings;
* ``zero_reports``: submissions, the CSV import, reminders of missing reports;
* ``anomalies``: the anomaly lifecycle (one function per transition), verification
  reports, assessment ratings, overdue reminders;
* ``attachments``: photo and file checks and storage.
"""

LIVE_GROUP = "bureau.{bureau_id}.disciplines"


def live_group(bureau_id: int) -> str:
    """The Channels group of a bureau's zero-report and anomaly events."""
    return LIVE_GROUP.format(bureau_id=bureau_id)
