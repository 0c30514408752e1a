"""What people read about one analysis.

- ``document``: the analysis as the versioned JSON document.
- ``wording``: the sentences every report shares (a finding per leg, the verdict line).
- ``terminal``: the summary printed in the terminal.
- ``advice``: what to do next, for each weak side.
- ``series_csv``: the per-frame series as CSV.
- ``html_page``: the self-contained HTML report (plots, key frames).
- ``overlay`` and ``annotate``: the annotated video.
- ``sizes``: each report file's estimated size (for the free-space check).
"""
