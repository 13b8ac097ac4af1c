"""Reports, charts and exports: the documents verifiers, customers and regulators read.

- :mod:`~tanzuji.report.charts` — one Vega-Lite specification per chart, built from a result;
  the data behind each chart as a :class:`~tanzuji.report.tables.Table` (CSV and JSON);
- :mod:`~tanzuji.report.vega` — the specification rendered to static SVG (vl-convert, offline,
  the CJK font the package ships) and the HTML snippet that embeds it interactively with the
  vendored vega / vega-lite / vega-embed files (``static/vendor``);
- :mod:`~tanzuji.report.study` — the CFP study report (ISO 14067:2018 clause 7, GB/T
  24067-2024), rendered by :mod:`~tanzuji.report.documents` to HTML (Jinja2) and PDF
  (WeasyPrint);
- :mod:`~tanzuji.report.declaration` — the carbon-footprint declaration of Regulation (EU)
  2023/1542 Art. 7 (JSON validated against the shipped schema, and PDF);
- :mod:`~tanzuji.report.workbook` — the whole result as an Excel workbook;
- :mod:`~tanzuji.report.compare` — two results side by side, the difference explained.

Everything here takes explicit inputs (a footprint, a model, PCR findings, a certificate) and
returns bytes or text: nothing reads settings, files of the user or a database.
"""
