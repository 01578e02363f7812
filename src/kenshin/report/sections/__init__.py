"""The report's sections as typed, frozen values: one module per section or group.

``kenshin.report.view.build_view`` builds them all from one ``ViewContext``; the
templates, findings.xlsx and the JSON exports read their attributes.
"""
