# Sourced by the screenshot scripts: the app in a fresh home on its own
# Xvfb screen (1280x800, no window manager), and the cleanup that stops both.
# The sourcing script sets $work (a temporary folder) before calling
# xvfb_app_start PROJECT; it sets DISPLAY and waits for the window.
# Needs: Xvfb, xdotool.

xvfb_pid=
app_pid=

xvfb_app_cleanup() {
	for pid in $app_pid $xvfb_pid; do
		if kill "$pid" 2>/dev/null; then
			wait "$pid" 2>/dev/null || true
		fi
	done
	rm -rf "$work"
}

# xvfb_app_start PROJECT: start Xvfb on a free display and the app built at
# $work/workbench on PROJECT, and wait until its window is up and the
# dataset has reloaded.
xvfb_app_start() {
	n=90
	while [ -e "/tmp/.X$n-lock" ] || [ -e "/tmp/.X11-unix/X$n" ]; do n=$((n + 1)); done
	Xvfb ":$n" -screen 0 1280x800x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
	xvfb_pid=$!
	export DISPLAY=":$n"
	i=0
	until xdotool getdisplaygeometry >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -lt 100 ] || { echo "Xvfb did not start" >&2; exit 1; }
		sleep 0.1
	done
	mkdir -p "$work/home" "$work/config"
	HOME="$work/home" XDG_CONFIG_HOME="$work/config" LIBGL_ALWAYS_SOFTWARE=1 \
		"$work/workbench" "$1" >"$work/app.log" 2>&1 &
	app_pid=$!
	i=0
	until xdotool search --name '^Workbench' >/dev/null 2>&1; do
		kill -0 "$app_pid" || { cat "$work/app.log" >&2; exit 1; }
		i=$((i + 1))
		[ "$i" -lt 120 ] || { echo "no window" >&2; exit 1; }
		sleep 0.5
	done
	sleep 4 # the dataset reloads in the background
}
