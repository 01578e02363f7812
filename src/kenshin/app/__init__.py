"""The application layer: each thing a person does with kenshin, once, for the CLI and the web.

One module per use case. A use case takes the store, plain values already parsed and
who acts, applies the rooms' rules, writes the store and the audit log in one
transaction, and returns what was done. The command line and the web only parse their
input (options, forms, JSON) and render the result; neither writes the store itself
for these, so the web cannot store what the command line refuses, and both leave the
same audit record.

- ``authorise``: the diagnosis authorisation and its window (``scope.authorise``,
  ``scope.window``)
- ``confirm``: a dynamic address confirmed on the day (``scope.confirm``)
- ``scans``: a scan queued as a job after the scope agreed (``job.scan.submit``)
- ``jobs``: a job queued (``job.<kind>.submit``) or cancelled (``job.cancel``)
- ``terminals``: terminal survey files imported (``terminal.import``)
- ``requests``: vendor requests drafted (``requests.draft``), marked sent
  (``requests.sent``) and answered, with or without files (``requests.attach``,
  ``requests.answer``, ``scope.address_*``)
- ``reports``: a report asked for (``report.build``)
"""
