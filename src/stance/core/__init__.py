"""What every step shares.

- ``errors``: the `StanceError` hierarchy; each error carries its CLI exit code.
- ``track``: the typed pose track (`PoseTrack`, landmark indices `LM`, `Side`).
- ``atomic``: atomic file writes and the output-target checks.
- ``numeric``: finite-only statistics (median, spread) over arrays with gaps.
"""
