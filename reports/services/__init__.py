"""Writes of the reports app, one module per concept:

* ``topic_reports``: the special-topic report workflow, queueing a bureau's report of an
  arriving quake, the worker's moves and the watchdog of abandoned builds;
* ``topic_build``: building a queued report (content, maps, PDF);
* ``pushes``: pushing a ready report over each channel with retries, and its watchdog;
* ``push_channels``: the channels (in-app, e-mail, WeChat Work) and their messages;
* ``topic_settings``: a bureau's special-topic report settings;
* ``gis_layers``: a bureau's GIS layer uploads;
* ``towns``: loading the gazetteer's towns.
"""
