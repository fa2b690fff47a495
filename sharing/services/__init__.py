"""Writes of the data supermarket, one module per concept:

* ``datasets``: a dataset's level, zone and words; the bureau's answer deadline;
* ``sync``: datasets made and refreshed from what bureaus hold;
* ``requests`` (and its table ``request_workflow``): ask, approve (a grant), refuse, revoke;
  the deadline and expiry sweeps;
* ``pushes`` (and ``push_workflow``): push a dataset to chosen bureaus, stop; announce new
  data to them.
"""
