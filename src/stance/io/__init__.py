"""Bytes in and out.

- ``file_kind``: what a file is from its first bytes (video container, still image, text),
  and why a video would not open.
- ``source``: open and probe a video (rotation, variable frame rate), iterate its frames.
- ``stream_scan``: the packets each stream really holds (a video shorter than its audio is
  not a truncated file).
- ``prefetch``: decoding (and other work) in a thread beside the pose model, bounded.
- ``video_writer``: write an annotated video (H.264 through ffmpeg, atomic).
- ``ffmpeg``: run the ffmpeg that imageio-ffmpeg ships.
- ``models``: the pose-model cache (manifest, checksum pins, lock) and its public calls;
  ``model_build`` gets a model's bytes (verified download, or the offline build from the
  mediapipe wheel); ``task_bundle`` checks that a file is a usable ``.task`` bundle.
- ``recording``: facts about a recording (its SHA-256, the date it was made).
- ``resources``: files that ship with stance (model manifest, bundled sample).
"""
