#!/bin/sh
# Screenshots of a research session reopened in the real app under Xvfb
# (must-show 1 of the [workflow] issue): the session test saves a project
# with a run, a search, babysitting, k-NN, a linear classifier and a t-SNE
# map made through the panes; the app opens it on a 1280x800 screen with no
# window manager and xdotool clicks through the panes.
#
# Usage: scripts/screenshots-reopened.sh [OUTDIR]   (default docs/screenshots)
# Needs: Xvfb, xdotool, ImageMagick's import (scripts/deps.sh installs them).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/docs/screenshots}
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/workbench-reopened.XXXXXX")
. "$root/scripts/xvfb-app.sh"
trap xvfb_app_cleanup EXIT INT TERM

cd "$root"
WORKBENCH_SESSION_PROJECT="$work/research-session.wbproj" go test ./app -run TestAResearchersSessionSurvivesAReopen -count=1
go build -o "$work/workbench" ./cmd/workbench

xvfb_app_start "$work/research-session.wbproj"

# click X Y: a click at window coordinates (no window manager: the window
# sits at the screen's origin).
click() {
	xdotool mousemove "$1" "$2" click 1
	sleep 1.5
}
shot() {
	xdotool mousemove 1279 799
	sleep 1
	import -window root "$out/$1"
	echo "$out/$1"
}
click 52 183 # Train
click 655 45 # Runs
click 347 124 # run r1
shot xvfb-reopened-train-runs.png
click 58 222 # Classic
shot xvfb-reopened-classic.png
click 412 45 # k-nearest neighbours
shot xvfb-reopened-knn.png
click 566 45 # Linear classifiers
shot xvfb-reopened-linear.png
click 77 300 # Embeddings
shot xvfb-reopened-embeddings.png
if grep -q -i -e 'internal error' -e '^panic:' "$work/app.log"; then
	cat "$work/app.log" >&2
	exit 1
fi
