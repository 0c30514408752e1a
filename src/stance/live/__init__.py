"""Live mode: guided through the test in front of a webcam.

- ``sources``: the camera (or a file played as one).
- ``protocol``: the steps of the test and the prompt to show.
- ``session``: per-frame pose and measurement, then the analysis at the end.
- ``view``: the window.
- ``run``: the loop that ties them together.
"""
