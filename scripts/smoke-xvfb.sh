#!/bin/sh
# Smoke test of the desktop app: start the real binary under Xvfb with a fresh
# home (so it opens the bundled sample project), wait for its window, take a
# screenshot of the screen, and check that the window is there and drawn.
#
# Usage: scripts/smoke-xvfb.sh [SCREENSHOT.png]
#   SCREENSHOT.png  where to write the screenshot (default: smoke-xvfb.png)
# Environment:
#   WORKBENCH_BIN   use this binary instead of building ./cmd/workbench
#   SMOKE_TIMEOUT   seconds to wait for the window (default 60)
# Needs: Xvfb, ImageMagick's import, and xwininfo or xdotool.
# Exit status: 0 when the window appeared and was captured, 1 otherwise.
set -eu

out=${1:-smoke-xvfb.png}
timeout=${SMOKE_TIMEOUT:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/workbench-smoke.XXXXXX")
xvfb_pid=
app_pid=

say() { echo "smoke-xvfb: $*" >&2; }
fail() {
	say "FAIL: $*"
	if [ -s "$work/app.log" ]; then
		say "app log (last lines):"
		tail -n 20 "$work/app.log" >&2
	fi
	exit 1
}
cleanup() {
	status=$?
	# Ask the app to quit (SIGTERM quits as File > Quit does). Its exit
	# status and Xvfb's are not this script's: a crash on the way out shows
	# as a panic in the app's log, and that fails the smoke test.
	if [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null; then
		app_status=0
		wait "$app_pid" 2>/dev/null || app_status=$?
		if [ -s "$work/app.log" ] && grep -q -e '^panic:' -e '^fatal error:' "$work/app.log"; then
			say "FAIL: workbench crashed when asked to quit (exit status $app_status); its log:"
			tail -n 40 "$work/app.log" >&2
			status=1
		fi
	fi
	if [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null; then
		wait "$xvfb_pid" 2>/dev/null || true
	fi
	rm -rf "$work" 2>/dev/null || true
	exit "$status"
}
trap cleanup EXIT INT TERM

for tool in Xvfb import; do
	command -v "$tool" >/dev/null 2>&1 || fail "$tool is missing; install it with: apt-get install -y xvfb imagemagick"
done

bin=${WORKBENCH_BIN:-}
if [ -z "$bin" ]; then
	bin="$work/workbench"
	say "building ./cmd/workbench"
	(cd "$root" && go build -o "$bin" ./cmd/workbench) || fail "go build failed"
fi

# A free display number: no lock file and no socket.
n=90
while [ -e "/tmp/.X$n-lock" ] || [ -e "/tmp/.X11-unix/X$n" ]; do
	n=$((n + 1))
	[ "$n" -lt 200 ] || fail "no free X display between :90 and :199"
done
Xvfb ":$n" -screen 0 1440x900x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
xvfb_pid=$!
i=0
while [ ! -e "/tmp/.X11-unix/X$n" ]; do
	kill -0 "$xvfb_pid" 2>/dev/null || fail "Xvfb did not start: $(cat "$work/xvfb.log")"
	i=$((i + 1))
	[ "$i" -lt 100 ] || fail "Xvfb did not open display :$n in 10 s"
	sleep 0.1
done
# The socket appears before the server takes connections: wait until a
# client can talk to it (an app started in between cannot open the display).
i=0
until DISPLAY=":$n" xwininfo -root >/dev/null 2>&1 || DISPLAY=":$n" xdotool getdisplaygeometry >/dev/null 2>&1; do
	kill -0 "$xvfb_pid" 2>/dev/null || fail "Xvfb stopped: $(cat "$work/xvfb.log")"
	i=$((i + 1))
	[ "$i" -lt 100 ] || fail "Xvfb on :$n takes no connections after 10 s"
	sleep 0.1
done
say "Xvfb on :$n"

# A fresh home: no recent files, no autosave, so the sample project opens.
mkdir -p "$work/home" "$work/config"
DISPLAY=":$n" HOME="$work/home" XDG_CONFIG_HOME="$work/config" \
	LIBGL_ALWAYS_SOFTWARE=1 "$bin" >"$work/app.log" 2>&1 &
app_pid=$!

# Wait for a window whose title names Workbench and the sample project.
title=
start=$(date +%s)
while :; do
	if ! kill -0 "$app_pid" 2>/dev/null; then
		app_status=0
		wait "$app_pid" 2>/dev/null || app_status=$?
		app_pid=
		fail "workbench exited before its window appeared (exit status $app_status; above 128: killed by signal number status - 128)"
	fi
	if command -v xwininfo >/dev/null 2>&1; then
		title=$(DISPLAY=":$n" xwininfo -root -tree 2>/dev/null |
			sed -n 's/^ *0x[0-9a-f]* "\(Workbench[^"]*\)".*/\1/p' | head -n 1)
	elif command -v xdotool >/dev/null 2>&1; then
		title=$(DISPLAY=":$n" xdotool search --name '^Workbench' getwindowname 2>/dev/null | head -n 1)
	else
		fail "neither xwininfo nor xdotool is installed; install x11-utils"
	fi
	case "$title" in *sample*) break ;; esac
	[ $(($(date +%s) - start)) -lt "$timeout" ] || fail "no Workbench window with the sample project after ${timeout}s (last title: '$title')"
	sleep 0.5
done
say "window: $title"

# Let it draw, then capture the screen.
sleep 2
kill -0 "$app_pid" 2>/dev/null || fail "workbench exited after opening its window"
DISPLAY=":$n" import -window root "$out" || fail "import could not capture the screen"

# A drawn window is not one flat colour.
sd=$(convert "$out" -colorspace Gray -format '%[fx:standard_deviation]' info: 2>/dev/null || echo 0)
if awk "BEGIN { exit !($sd < 0.02) }"; then
	fail "the screenshot is blank (grey standard deviation $sd)"
fi
kill -0 "$app_pid" 2>/dev/null || fail "workbench exited while the screen was captured"
if grep -q -i -e 'internal error' -e '^panic:' -e 'failed to initiali[sz]e' "$work/app.log"; then
	fail "workbench reported an internal error"
fi
say "screenshot: $out (grey standard deviation $sd)"
echo "$out"
