"""Batch mode: a folder of clips, in reading order.

1. ``discover``: the inputs from the command line's files, folders and globs.
2. ``keys``: what identifies a clip's result (``--resume``) and what its files are called.
3. ``worker``: one clip's job and what a worker process does with it (``analyze_clip``).
4. ``backends``: where the jobs run: local worker processes (that end with the batch) or Dask.
5. ``rows``: one summary row per input; ``summary.csv`` and ``summary.json``.
6. ``runner``: the main loop, ``run_batch``: the job list, resume, the run, the summary.
7. ``index``: the ``index.html`` that links every clip's report.
"""
