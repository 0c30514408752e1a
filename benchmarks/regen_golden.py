"""Write tests/golden/*.json anew from the current pipeline (when a result is MEANT to change).

    uv run python benchmarks/regen_golden.py [CLIP_STEM ...]

Analyses the bundled sample and every ../shared/footage clip that has a stored document (or the
named ones) with the default settings and writes each document as `stance analyze --json`
would, without the volatile keys `tests/test_golden.py` ignores anyway. Say in the commit why
the results changed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "golden"
SAMPLE = REPO / "sample_videos" / "sample_right_weak.mp4"
FOOTAGE = REPO.parent / "shared" / "footage"


def main() -> None:
    from stance.pipeline import analyze
    from stance.report.document import to_dict

    stems = sys.argv[1:] or sorted(p.stem for p in GOLDEN.glob("*.json"))
    for stem in stems:
        path = SAMPLE if stem == SAMPLE.stem else FOOTAGE / f"{stem}.mp4"
        if not path.exists():
            print(f"{stem}: {path} is absent, kept as stored")
            continue
        doc = json.loads(json.dumps(to_dict(analyze(path))))
        for key in ("input", "tool", "timings_s"):
            doc.pop(key, None)
        doc["model"].pop("path", None)
        (GOLDEN / f"{stem}.json").write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
        print(f"{stem}: {doc['verdict']['outcome']}")


if __name__ == "__main__":
    main()
