#!/usr/bin/env bash
# Builds the Linux and Windows installers with scripts/package.sh and checks
# that they install, run and uninstall. Too slow for the CI test command (the
# Windows cross-build alone takes minutes): run it before a release.
#
# Usage: scripts/package-check.sh [linux|windows|all]   (default: all)
#   linux    the .deb installs into a throwaway root (dpkg --root), its
#            desktop entry passes desktop-file-validate and its MIME type maps
#            *.wbproj; `workbench --version` and `workbench render-panes
#            --project sample` run from the installed files; the installed
#            app's cold start to its first window is timed under Xvfb;
#            `dpkg --root -r` removes every file
#   windows  under Wine on Xvfb (a fresh WINEPREFIX): the NSIS installer
#            installs silently per user (/S /CurrentUser), the Start-menu
#            entry and the .wbproj association are there, `workbench.exe
#            --version` prints the version, the window opens (screenshot with
#            SHOT=PATH), and the uninstaller removes all it installed
# Environment: SKIP_BUILD=1 checks the artefacts already in dist/;
#   SHOT=PATH writes the Wine screenshot there (e.g. docs/screenshots/...).
# Needs: scripts/package-deps.sh --check (as root) installs what is missing.
# Exit status: 0 when every check passed, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
case $what in linux | windows | all) ;; *)
	echo "package-check.sh: unknown target '$what'; use linux, windows or all" >&2
	exit 2
	;;
esac
version=$(scripts/package-version.sh)
eval "$(scripts/package-version.sh --shell)"
work=$(mktemp -d "${TMPDIR:-/tmp}/workbench-pkgcheck.XXXXXX")
pids=()
failures=0

say() { echo "package-check: $*" >&2; }
ok() { echo "ok   $*"; }
bad() {
	echo "FAIL $*"
	failures=$((failures + 1))
}
check() { # check DESCRIPTION COMMAND...
	local d=$1
	shift
	if "$@" >"$work/last.log" 2>&1; then ok "$d"; else
		bad "$d"
		tail -n 15 "$work/last.log" | sed 's/^/     /'
	fi
}
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	if [ -n "${WINEPREFIX:-}" ]; then wineserver -k 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

# startx: a fresh Xvfb display in $DISPLAY.
startx() {
	local n=110
	while [ -e "/tmp/.X$n-lock" ] || [ -e "/tmp/.X11-unix/X$n" ]; do n=$((n + 1)); done
	Xvfb ":$n" -screen 0 1280x800x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
	pids+=($!)
	export DISPLAY=":$n"
	local i
	for i in $(seq 50); do
		xdpyinfo >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	say "Xvfb did not start"
	return 1
}

check_linux() {
	[ -n "${SKIP_BUILD:-}" ] || scripts/package.sh linux
	local deb="dist/workbench_${DEBVERSION}_amd64.deb" r="$work/root"
	[ -f "$deb" ] || {
		bad "linux: $deb was not built"
		return
	}
	check "linux: tar.xz from fyne package exists" test -s "dist/workbench-$version-linux-amd64.tar.xz"
	mkdir -p "$r/var/lib/dpkg/info" "$r/var/lib/dpkg/updates"
	: >"$r/var/lib/dpkg/status"
	: >"$r/var/lib/dpkg/available"
	# The root is empty, so the declared dependencies are not in it: they are
	# on this machine, where the installed binary finds them.
	check "linux: dpkg --root -i installs the .deb" dpkg --root="$r" --force-depends --force-script-chrootless -i "$deb"
	check "linux: Installed-Size is declared" sh -c "dpkg-deb -f '$deb' Installed-Size | grep -Eq '^[0-9]+$'"
	say "installed size $(dpkg-deb -f "$deb" Installed-Size) KiB; Depends: $(dpkg-deb -f "$deb" Depends)"
	check "linux: Depends names libopenblas0, libegl1, libgl1" sh -c "dpkg-deb -f '$deb' Depends | grep -q libopenblas0 && dpkg-deb -f '$deb' Depends | grep -q libegl1 && dpkg-deb -f '$deb' Depends | grep -q libgl1"
	check "linux: every library the binary links directly is installed by a declared package" sh -c "
		for n in \$(objdump -p '$r/usr/bin/workbench' | awk '/NEEDED/{print \$2}'); do
			l=\$(ldd '$r/usr/bin/workbench' | awk -v n=\"\$n\" '\$1==n{print \$3}')
			p=\$(dpkg -S \"\$(readlink -f \"\$l\")\" 2>/dev/null || dpkg -S \"\$l\"); p=\${p%%:*}
			case \$p in libopenblas0-*) p=libopenblas0;; esac
			dpkg-deb -f '$deb' Depends | tr ',' '\n' | grep -qw \"\$p\" || { echo \"\$l from \$p is not in Depends\"; exit 1; }
		done"
	check "linux: desktop-file-validate passes" desktop-file-validate "$r/usr/share/applications/workbench.desktop"
	check "linux: the desktop entry opens files with 'workbench open %f'" grep -qx 'Exec=workbench open %f' "$r/usr/share/applications/workbench.desktop"
	check "linux: the MIME type maps *.wbproj" sh -c "update-mime-database '$r/usr/share/mime' && grep -q 'application/x-workbench-project:\\*.wbproj' '$r/usr/share/mime/globs2'"
	check "linux: icons at 48 and 256 px" test -s "$r/usr/share/icons/hicolor/48x48/apps/workbench.png" -a -s "$r/usr/share/icons/hicolor/256x256/apps/workbench.png"
	check "linux: installed 'workbench --version' prints $version" sh -c "[ \"\$('$r/usr/bin/workbench' --version)\" = 'workbench $version' ]"
	check "linux: installed 'workbench render-panes --project sample' writes panes" sh -c "
		HOME='$work/home' '$r/usr/bin/workbench' render-panes --project sample --out '$work/panes' &&
		[ \$(find '$work/panes' -name '*.png' | wc -l) -ge 3 ]"

	if startx; then
		local t0 t1 i times=() out
		mkdir -p "$work/home"
		for i in 1 2 3; do
			rm -rf "$work/home/.config" "$work/home/.local"
			t0=$(date +%s.%N)
			HOME="$work/home" "$r/usr/bin/workbench" >"$work/app$i.log" 2>&1 &
			local app=$!
			pids+=("$app")
			if timeout 60 xdotool search --sync --onlyvisible --name '^Workbench' >/dev/null 2>&1; then
				t1=$(date +%s.%N)
				times+=("$(echo "$t1 - $t0" | bc | xargs printf "%.2f")")
			fi
			kill "$app" 2>/dev/null || true
			wait "$app" 2>/dev/null || true
		done
		if [ ${#times[@]} -eq 3 ]; then
			out=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p)
			ok "linux: cold start to the first window (median of 3, fresh HOME): ${out}s [runs: ${times[*]}]"
		else
			bad "linux: the installed app's window did not appear under Xvfb"
			tail -n 10 "$work/app1.log" | sed 's/^/     /'
		fi

		# Opening files: `workbench FILE.wbproj` (as the desktop entry runs
		# `workbench open %f`), and a second launch with another file while
		# the first runs: each launch is its own process with its own window
		# (no hand-over), so the second must open next to the first.
		local bin="$r/usr/bin/workbench" a first second n
		for n in first second; do
			HOME="$work/home" "$bin" --device cpu train --model linear --data sample --epochs 1 \
				--limit-train 200 --save "$work/$n.wbproj" >"$work/train.log" 2>&1 || tail -n 3 "$work/train.log"
		done
		rm -rf "$work/home/.config" "$work/home/.local"
		HOME="$work/home" "$bin" "$work/first.wbproj" >"$work/first.log" 2>&1 &
		first=$!
		pids+=("$first")
		if a=$(timeout 60 xdotool search --sync --onlyvisible --name 'Workbench — first' 2>/dev/null); then
			ok "linux: 'workbench FILE.wbproj' opens the file (window '$(xdotool getwindowname "$a")')"
		else
			bad "linux: 'workbench FILE.wbproj' did not open a window titled with the project"
			tail -n 5 "$work/first.log" | sed 's/^/     /'
		fi
		HOME="$work/home" "$bin" open "$work/second.wbproj" >"$work/second.log" 2>&1 &
		second=$!
		pids+=("$second")
		if timeout 60 xdotool search --sync --onlyvisible --name "Workbench — second" >/dev/null 2>&1 &&
			kill -0 "$first" 2>/dev/null; then
			n=$(xdotool search --onlyvisible --name '^Workbench' | wc -l)
			ok "linux: a second launch ('workbench open FILE') opens a second window while the first stays ($n windows)"
		else
			bad "linux: a second launch with a file did not open a second window"
			tail -n 5 "$work/second.log" | sed 's/^/     /'
		fi
		kill "$first" "$second" 2>/dev/null || true
		wait "$first" "$second" 2>/dev/null || true
	fi

	check "linux: dpkg --root -r removes every installed file" sh -c "
		dpkg --root='$r' --force-script-chrootless -r workbench >/dev/null &&
		[ -z \"\$(find '$r/usr' -type f ! -path '*/share/mime/*' 2>/dev/null)\" ]"
}

# wine_path WINPATH: the Unix path of a Windows path in the prefix.
wine_path() { winepath -u "$1" 2>/dev/null | tr -d '\r'; }

check_windows() {
	[ -n "${SKIP_BUILD:-}" ] || scripts/package.sh windows
	local setup="dist/workbench-$version-windows-amd64-setup.exe"
	[ -f "$setup" ] || {
		bad "windows: $setup was not built"
		return
	}
	startx || {
		bad "windows: no Xvfb"
		return
	}
	export WINEPREFIX="$work/wine" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=;bcryptprimitives=n,b"
	say "making a Wine prefix (slow the first time)"
	timeout 300 wineboot --init >"$work/wineboot.log" 2>&1 || true
	wineserver -w
	# Go 1.24+ needs ProcessPrng from bcryptprimitives.dll, which Wine 8 lacks.
	x86_64-w64-mingw32-gcc -O2 -shared -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
		packaging/windows/wine/bcryptprimitives.c packaging/windows/wine/bcryptprimitives.def -ladvapi32

	check "windows: the installer runs silently per user (/S /CurrentUser)" timeout 180 wine "$setup" /S /CurrentUser
	wineserver -w
	local programs instdir startmenu
	programs=$(wine_path "$(wine cmd /c 'echo %LOCALAPPDATA%' 2>/dev/null | tr -d '\r')\\Programs")
	instdir="$programs/Workbench"
	startmenu=$(wine_path "$(wine cmd /c 'echo %APPDATA%' 2>/dev/null | tr -d '\r')\\Microsoft\\Windows\\Start Menu\\Programs")
	check "windows: installed workbench.exe and uninstall.exe in %LOCALAPPDATA%\\Programs\\Workbench" test -s "$instdir/workbench.exe" -a -s "$instdir/uninstall.exe"
	check "windows: Start-menu entry" test -s "$startmenu/Workbench.lnk"
	check "windows: .wbproj is associated with 'workbench.exe open'" sh -c "
		wine reg query 'HKCU\\Software\\Classes\\.wbproj' /ve 2>/dev/null | grep -q Workbench.Project &&
		wine reg query 'HKCU\\Software\\Classes\\Workbench.Project\\shell\\open\\command' /ve 2>/dev/null | grep -q 'workbench.exe\" open'"
	check "windows: Apps & features entry has version $version" sh -c "
		wine reg query 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\Workbench' /v DisplayVersion 2>/dev/null | grep -q '$version'"
	check "windows: installed 'workbench.exe --version' prints $version" sh -c "
		timeout 60 wine '$instdir/workbench.exe' --version 2>/dev/null | tr -d '\r' | grep -qx 'workbench $version'"

	local app shot=${SHOT:-}
	wine "$instdir/workbench.exe" >"$work/wineapp.log" 2>&1 &
	app=$!
	pids+=("$app")
	if timeout 120 xdotool search --sync --onlyvisible --name '^Workbench' >/dev/null 2>&1; then
		ok "windows: the window opens under Wine"
		sleep 8 # let the first frames draw
		if [ -n "$shot" ]; then
			mkdir -p "$(dirname "$shot")"
			import -window root -resize 50% -colors 128 "PNG8:$shot" && ok "windows: screenshot in $shot ($(du -h "$shot" | cut -f1))"
		fi
	else
		bad "windows: the window did not open under Wine"
		tail -n 10 "$work/wineapp.log" | sed 's/^/     /'
	fi
	kill "$app" 2>/dev/null || true
	wineserver -k 2>/dev/null || true
	wineserver -w

	check "windows: the uninstaller runs silently" timeout 180 wine "$instdir/uninstall.exe" /S /CurrentUser
	local i
	for i in $(seq 60); do # the uninstaller reruns itself from %TEMP% and returns at once
		[ -e "$instdir" ] || break
		sleep 1
	done
	wineserver -w
	check "windows: the uninstaller removed the program folder" test ! -e "$instdir"
	check "windows: the uninstaller removed the Start-menu entry" test ! -e "$startmenu/Workbench.lnk"
	check "windows: the uninstaller removed the association and the Apps & features entry" sh -c "
		! wine reg query 'HKCU\\Software\\Classes\\.wbproj' >/dev/null 2>&1 &&
		! wine reg query 'HKCU\\Software\\Classes\\Workbench.Project' >/dev/null 2>&1 &&
		! wine reg query 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\Workbench' >/dev/null 2>&1"
}

case $what in
linux) check_linux ;;
windows) check_windows ;;
all)
	check_linux
	check_windows
	;;
esac
if [ "$failures" -eq 0 ]; then
	echo "package-check: all passed"
	exit 0
fi
echo "package-check: $failures failed"
exit 1
