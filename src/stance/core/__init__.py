"""What every step shares.

- ``errors``: the `StanceError` hierarchy; each error carries its CLI exit code.
- ``track``: the typed pose track (`PoseTrack`, landmark indices `LM`, `Side`).
- ``atomic``: atomic file writes, the output-target checks and the free-space check (a full
  disk becomes `NoSpaceError`).
- ``numeric``: finite-only statistics (median, spread) over arrays with gaps.
"""
