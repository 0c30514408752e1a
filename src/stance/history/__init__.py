"""A person's tests over weeks.

- ``record``: one test as a record, and the change rule between tests.
- ``store``: the SQLite store.
- ``report``: the trend as terminal text, JSON, CSV and HTML.
"""
