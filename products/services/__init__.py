"""Writes of the product engine: requesting, executing, rerunning runs; schedules.

A run moves queued -> running -> succeeded | failed (``runs.WORKFLOW``); every
move goes through ``portal.workflow.transition`` (it locks the row, checks the right
and the state, saves, audits, tells and broadcasts). Execution (``run_execute``,
called by the ``products.run`` task) is safe to repeat:

* the task id that may execute a run is stored on it; a Celery retry or a
  redelivery after a killed worker carries the same id and picks the run up
  again, any other task leaves it alone;
* figures are written into a temporary directory and moved into
  ``MEDIA_ROOT/products/<bureau_id>/<run_id>/`` in the same transaction that
  stores the result and the status, so a worker killed at any point leaves
  either no result or the whole result (a moved directory whose transaction
  did not commit is replaced by the next attempt and never referenced);
* a run that stays "running" past the time limit, or "queued" with its
  message lost, is requeued by the ``products.requeue_stale`` beat job (and
  failed after ``MAX_ATTEMPTS``).

Reuse: a run whose method, parameters (``params_hash``) and input rows
(``input_hash``) match a stored computed result of the bureau does not compute:
it succeeds at once with ``reused_from`` pointing at that run, a copy of its
result and its figure files. The partial unique constraint
``productrun_one_result_per_input`` keeps one computed result per key; two runs
computing the same key at once end with one result and one reuse.

One module per concept:

* ``run_requests``: cleaning a run request (parameters, catalog selection);
* ``runs``: the run lifecycle (request, rerun, requeue, fail; ``WORKFLOW``);
* ``execution``: executing a run, staging its figure files, reuse, stale-run recovery;
* ``schedules``: schedules and their Celery beat entries;
* ``live``: the Channels groups and events of runs.
"""
