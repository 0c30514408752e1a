#!/usr/bin/env bash
# Render movements that are not a held single-leg stance (benchmarks/motion_cases.py) with a
# MakeHuman body: the negatives of hold detection (benchmarks/holds_check.py finds no hold in them).
#   benchmarks/render_negatives.sh OUT_DIR [NAME ...]
# NAME is one of the clips below (default: all); each writes OUT_DIR/neg_NAME.mp4 at 15 fps.
# About 150 frames at 360x640 and 4 samples: 5-8 minutes a clip on 2 cores, so run it in the
# background. Needs Blender and MH_DATA (see ../shared/avatar/render/mh/README.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
render=$(cd "$here/../../shared/avatar/render" && pwd)
out=$1; shift
: "${MH_DATA:?set MH_DATA (see the renderer README)}"
fps=15
# name: kind, body options, outfit JSON
declare -A KIND BODY OUTFIT
KIND[march_f]=march;           BODY[march_f]="--gender 0 --age 30 --weight 0.6 --height_m 1.65"
OUTFIT[march_f]='{"top": [0.6, 0.2, 0.2], "top_hem_cm": 10, "bottom": [0.1, 0.1, 0.1], "bottom_rise_cm": 6, "bottom_length": "leggings"}'
KIND[high_knees_m]=high_knees; BODY[high_knees_m]="--gender 1 --age 24 --muscle 0.8 --height_m 1.82"
OUTFIT[high_knees_m]='{"top": [0.2, 0.3, 0.6], "top_hem_cm": 9, "bottom": [0.15, 0.15, 0.15], "bottom_rise_cm": 7, "bottom_length": "shorts"}'
KIND[slow_march_f]=slow_march; BODY[slow_march_f]="--gender 0 --age 66 --weight 0.8 --height_m 1.58"
OUTFIT[slow_march_f]='{"top": [0.3, 0.5, 0.3], "top_hem_cm": 12, "bottom": [0.2, 0.2, 0.3], "bottom_rise_cm": 8, "bottom_length": "capri"}'
KIND[step_jacks_m]=step_jacks; BODY[step_jacks_m]="--gender 1 --age 45 --weight 0.7 --height_m 1.75"
OUTFIT[step_jacks_m]='{"top": [0.7, 0.7, 0.7], "top_hem_cm": 10, "bottom": [0.05, 0.05, 0.2], "bottom_rise_cm": 6, "bottom_length": "leggings"}'
if [ $# -gt 0 ]; then names=("$@"); else names=(march_f high_knees_m slow_march_f step_jacks_m); fi
mkdir -p "$out/work"
for name in "${names[@]}"; do
  clip=$out/neg_$name.mp4
  if [ -s "$clip" ]; then echo "$name: done already"; continue; fi
  w=$out/work/neg_$name
  echo "$(date +%T) $name"
  python3 "$here/motion_cases.py" "${KIND[$name]}" "$w.cases.json" --fps $fps
  # shellcheck disable=SC2086
  blender -b --factory-startup --python "$render/mh/render_mh.py" -- --mh_data "$MH_DATA" ${BODY[$name]} \
     --outfit "${OUTFIT[$name]}" --out "$w" --cases "$w.cases.json" --res 360x640 --samples 4 \
     --skip_existing > "$w.render.log" 2>&1 || { echo "$name: render failed (see $w.render.log)"; continue; }
  mkdir -p "$w/frames" && mv "$w"/f*.png "$w/frames/" 2>/dev/null || true
  blender -b --factory-startup --python "$render/assemble_mp4.py" -- "$w/frames" "$clip" $fps > "$w.mp4.log" 2>&1
  rm -rf "$w"
  echo "$clip"
done
