"""Writes of subscriptions, one module per concept:

* ``subscriptions``: a person's own subscriptions (``subscription_create`` / ``_update`` /
  ``_delete``, each audited ``subscription.create`` / ``.update`` / ``.delete``, shown on the
  person's page); ``parse_region`` turns a GeoJSON polygon, a circle or a bureau into the
  stored polygon.
* ``notices``: what a subscription hears of, one ``SubscriptionNotice`` per subscription,
  thing and version (a later version is an update), queued for delivery now or at the end of
  the quiet hours: ``event_match`` (an event arrived or changed), ``topic_report_match``,
  ``product_announce`` (the one entry for the products of the apps above: a monthly trend
  report issued, a post-quake opinion), ``anomaly_match``.
* ``delivery``: ``notice_deliver``, one try per channel owed and due, the notice claimed with a
  row lock (``SKIP LOCKED``) so that two workers never send it twice; a failure is recorded,
  retried with backoff and after the last try told to the person in the app (never silent);
  ``sweep``: the hour's digests, and the notices whose message (first or retry) was lost.
"""
