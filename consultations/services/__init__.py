"""Writes of consultations, one module per concept:

* ``room``: the live room's event log (one :class:`RoomEvent` per change, pushed on commit);
* ``meetings``: creating, editing, opening and closing meetings; their materials;
* ``forecasts``: validation of forecast regions, magnitudes and time windows;
* ``opinions``: discipline opinions;
* ``conclusion``: the conclusion, forecasts, votes and comments of a meeting;
* ``report_workflow``: the consultation report and its workflow (one service per transition);
* ``emergency``: emergency and post-earthquake meetings opened when a quake arrives;
* ``topic_reports``: attaching a special-topic report to the event's emergency meeting.
"""
