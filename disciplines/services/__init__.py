"""Writes of the disciplines app, one module per concept:

* ``units``: reporting units and the per-bureau anomaly settings;
* ``zero_reports``: submissions, the CSV import, reminders of missing reports;
* ``anomaly_workflow``: the anomaly workflow table, its lock, hand-offs and history labels;
* ``anomalies``: an anomaly's report: creation, files, review (assign, return, resubmit),
  withdrawal; ``TRANSITION_SERVICES``, the service of every transition;
* ``verification``: the verification report (save, submit, return for revision);
* ``assessment``: the experts' ratings, the assessment and the decision (track, close);
* ``overdue``: reminders of overdue verifications;
* ``verification_pdf``: the verification report's PDF;
* ``attachments``: photo and file checks and storage.
"""

LIVE_GROUP = "bureau.{bureau_id}.disciplines"


def live_group(bureau_id: int) -> str:
    """The Channels group of a bureau's zero-report and anomaly events."""
    return LIVE_GROUP.format(bureau_id=bureau_id)
