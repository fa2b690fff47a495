"""Writes of the catalog: solutions of events, quick-report intake, imports.

One module per concept:

* ``events``: solutions of events (duplicates, the preferred solution, versions, the live feed);
* ``quick_reports``: quick-report intake, its inbox and corrections (``QUICK_REPORT_WORKFLOW``);
* ``import_writer``: reading a catalog file and writing its rows in batches (all or nothing);
* ``import_batches``: a batch of an import, staged in a temporary table and written on the server;
* ``import_rows``: the rows read in Python: checked into solutions, fed to the batch, read a batch ahead;
* ``import_csv``: the CSV fast path (PostgreSQL converts the ordinary lines; the reader the rest);
* ``imports``: a person's import (``EventImport``): checks, the run, progress, its workflow.

Decisions written down here, where they are enforced:

* **Duplicates.** A solution within ``duplicate_seconds()`` (default 5 s) and
  ``duplicate_km()`` (default 10 km, great circle) of an event of the *same
  bureau* is that event: it becomes a new version instead of a second event.
  Quick reports use a wider window (``quick_report_window()``, default 90 s
  and 30 km): their times are to the minute and automatic epicentres move
  by tens of km in the formal report.
  Each bureau keeps its own catalog: JX importing a quake that CENC also has
  gives JX its own event (a province never writes into another's catalog).
* **Preferred solution.** A new version becomes the preferred one (the
  fields on the Event row) unless it is an automatic solution arriving after
  a reviewed one: the automatic one is kept in the history only.
* **Publishing.** A formal quick report (正式测定) and an imported catalog
  are published (anyone may read them: they are what the networks publish
  themselves); an automatic quick report (自动测定) stays inside the bureau
  until the formal one arrives ("最终结果以正式速报为准").
* **Imports are all or nothing per file.** The rows of a file are stored in
  one transaction: a file that turns out unreadable halfway (broken XML, no
  header) stores nothing and the import is marked failed with the line.
  Bad *rows* do not stop the import: they are counted as rejected, with line
  and reason, in the summary. Progress is published through the cache and
  the bureau's websocket group while the transaction is still open.
* **Arrivals.** Every stored event or new version is announced to
  ``catalog.arrival.event_arrived``, which decides on commit, in a task, whether it is
  fresh and whom it concerns. Imports announce (and push live) only the events that are
  fresh by the same rule (a historical catalog of a million rows must not start a
  million tasks).
"""
