"""Everything that reads pixels (MediaPipe and OpenCV live here and in ``io``, nowhere else).

- ``landmarker``: the MediaPipe pose landmarker over a clip; chooses the subject among people.
- ``follow``: follows the subject with a one-person landmarker, looking for a second person
  with a two-person one only as often as needed.
- ``mediapipe_import``: imports MediaPipe without the parts a pose landmarker never uses.
- ``native``: keeps MediaPipe's native library quiet and off the network.
- ``torso_canvas``: the torso-aligned canvas both image estimators read (from the landmarks).
- ``pelvis_texture``: follows the waistband's texture to measure the pelvis's tilt.
- ``pelvis_edge``: follows the waistband's edges (a second, independent image estimator).
"""
