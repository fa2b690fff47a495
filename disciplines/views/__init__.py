"""Pages of the disciplines app, one module per concept:

* ``zero_reports``: the phone-first report form, the submission matrix, the CSV import and export;
* ``anomalies``: anomalies (list, map, timeline, detail with its moves, attachments, export);
* ``verification``: the verification report (form and PDF) and the assessment form;
* ``units``: reporting units and the bureau's anomaly settings;
* ``common``: what the pages share (refusal pages, dates, state colours).
"""
