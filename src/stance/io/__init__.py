"""Bytes in and out.

- ``source``: open and probe a video (rotation, variable frame rate), iterate its frames.
- ``video_writer``: write an annotated video (H.264 through ffmpeg, atomic).
- ``ffmpeg``: run the ffmpeg that imageio-ffmpeg ships.
- ``models``: the pose-model cache (manifest, download, checksum, lock).
- ``recording``: facts about a recording (its SHA-256, the date it was made).
- ``resources``: files that ship with stance (model manifest, bundled sample).
"""
