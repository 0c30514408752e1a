"""Batch mode: a folder of clips.

- ``runner``: discovery, worker processes (or Dask), resume, summary CSV/JSON.
- ``index``: the ``index.html`` that links every clip's report.
"""
