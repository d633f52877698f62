#!/bin/sh
# Screenshots of training replayed from a run's weight snapshots, in the
# real app under Xvfb (1280x800, no window manager): `workbench train`
# trains the sample 4 epochs and keeps a snapshot after each; the app opens
# the project, the Embeddings pane replays the t-SNE of relu3 over them
# (epoch 4, then the slider back to epoch 1) and the Filters pane steps its
# slider from epoch 4 back to epoch 1.
#
# Usage: scripts/screenshots-replay.sh [OUTDIR]   (default docs/screenshots)
# Needs: Xvfb, xdotool, ImageMagick's import (scripts/deps.sh installs them).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/docs/screenshots}
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/workbench-replay.XXXXXX")
. "$root/scripts/xvfb-app.sh"
trap xvfb_app_cleanup EXIT INT TERM

cd "$root"
go build -o "$work/workbench" ./cmd/workbench
"$work/workbench" train --data sample --limit-train 2000 --limit-test 500 --epochs 4 --save "$work/replay.wbproj" >/dev/null

xvfb_app_start "$work/replay.wbproj"

click() { # X Y SECONDS: a click at window coordinates, then a wait
	xdotool mousemove "$1" "$2" click 1
	sleep "$3"
}
shot() {
	xdotool mousemove 1279 799
	sleep 1
	import -window root "$out/$1"
	echo "$out/$1"
}
click 77 300 2     # Embeddings
click 1015 51 150  # Replay over training (4 maps of 500 points)
shot xvfb-replay-embeddings-epoch4.png
click 302 133 3    # the epoch slider's start
shot xvfb-replay-embeddings-epoch1.png
click 100 261 3    # Filters & Activations
shot xvfb-filters-epoch4.png
for k in 1 2 3; do click 322 210 1; done # back three snapshots
shot xvfb-filters-epoch1.png
