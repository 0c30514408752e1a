"""What people read about one analysis.

- ``document``: the analysis as the JSON document and as terminal text.
- ``advice``: what to do next, for each finding.
- ``series_csv``: the per-frame series as CSV.
- ``html_page``: the self-contained HTML report (plots, key frames).
- ``overlay`` and ``annotate``: the annotated video.
"""
