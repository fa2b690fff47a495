"""Writes of flows, one module per concept:

* ``flows``: creating a flow, saving a new version, switching its triggers on or off;
* ``runs``: the run and node lifecycles (``RUN_WORKFLOW``, ``NODE_WORKFLOW``), requesting a
  run, executing a node, finishing a run, the watchdog's sweep;
* ``triggers``: schedules (django-celery-beat entries) and the happenings that start runs;
* ``live``: the Channels groups and events of runs.
"""
