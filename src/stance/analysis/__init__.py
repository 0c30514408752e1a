"""Numbers from tracks, in pipeline order (numpy only: no cv2, no mediapipe;
``tests/test_layout.py`` enforces it).

1. ``clean``: drop implausible landmarks, fill short gaps, smooth (``lowpass``: the
   Butterworth filter, in numpy).
2. ``segment``: find the quiet-standing baseline and the single-leg trials (``foot_rise``:
   a foot's rise from its own pixels, and the highest rise held under the threshold).
3. ``pelvis`` and ``fuse``: the pelvis-tilt estimators and their uncertainty-weighted fusion.
4. ``measure``: per trial, the pelvic drop, trunk lean, weight shift and hold time.
5. ``lighting`` and ``quality``: can this clip be judged at all, and why not
   (``quality_wording`` holds the flags' sentences).
6. ``judge``: the verdict per side, with its confidence and the basis of each finding;
   ``explain`` puts those decisions into the sentences people read (words only).
"""
