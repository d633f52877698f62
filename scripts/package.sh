#!/usr/bin/env bash
# Builds Workbench's installers into dist/ (ignored), named with the version.
#
# Usage: scripts/package.sh [linux|windows|darwin|all]     (default: linux)
#   linux    dist/workbench-V-linux-amd64.tar.xz (fyne package) and
#            dist/workbench_V_amd64.deb (dpkg-deb: binary, .desktop entry,
#            icons, the .wbproj MIME type; Depends worked out from ldd)
#   windows  dist/workbench-V-windows-amd64-setup.exe (NSIS) and the bare
#            dist/workbench-V-windows-amd64.exe, cross-built with mingw-w64
#   darwin   dist/workbench-V-darwin-ARCH.dmg: only on macOS (the release
#            workflow's macOS runner); signs when MACOS_SIGN_IDENTITY is set
#   all      linux and windows here; darwin too when run on macOS
#
# The version is the git tag vX.Y.Z at HEAD when there is one, else the VERSION
# file (tarballs have no git): scripts/package-version.sh prints it. It is
# stamped into the binary (-ldflags -X main.version, shown by --version and
# Help > About), the packages' metadata and the file names.
#
# Environment: FYNE (the fyne CLI; installed into GOPATH/bin when missing),
# WB_BUILD (build number, default: commits on HEAD), SOURCE_DATE_EPOCH.
# Needs (scripts/package-deps.sh installs them): dpkg-deb and binutils for
# linux, gcc-mingw-w64-x86-64 (or gcc in MSYS2 on Windows) and nsis for windows.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

target=${1:-linux}
case $target in
linux | windows | darwin | all) ;;
-h | --help)
	sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
*)
	echo "package.sh: unknown target '$target'; use linux, windows, darwin or all" >&2
	exit 2
	;;
esac

say() { echo "package.sh: $*" >&2; }
die() {
	say "$*"
	exit 1
}
need() {
	command -v "$1" >/dev/null 2>&1 || die "$1 is missing; run scripts/package-deps.sh (as root) to install it"
}

eval "$(scripts/package-version.sh --shell)" # VERSION NUMVERSION DEBVERSION BUILD BUILDDATE
appid=io.github.workbench-cv.workbench
xflags="-X main.version=$VERSION -X main.buildDate=$BUILDDATE"
mkdir -p dist build

# On Windows (Git Bash or MSYS2) the build is native; elsewhere windows is
# cross-built with mingw-w64.
case "$(uname -s)" in
MINGW* | MSYS* | CYGWIN*) native_windows=1 ;;
*) native_windows= ;;
esac

# nativepath PATH: PATH as the platform's own tools (makensis) want it.
nativepath() { if [ -n "$native_windows" ]; then cygpath -w "$1"; else echo "$1"; fi; }

fyne_cli() {
	local fyne=${FYNE:-} gobin
	gobin=$(go env GOPATH)/bin
	[ -n "$fyne" ] || fyne=$(command -v fyne || true)
	[ -n "$fyne" ] || for f in "$gobin/fyne" "$gobin/fyne.exe"; do [ -x "$f" ] && fyne=$f; done
	if [ -z "$fyne" ]; then
		say "installing the fyne CLI (fyne.io/tools v1.7.4)"
		go install fyne.io/tools/cmd/fyne@v1.7.4 >&2
		fyne=$gobin/fyne
		[ -n "$native_windows" ] && fyne=$gobin/fyne.exe
	fi
	echo "$fyne"
}

# debdepends BINARY: the Depends line, from the packages that provide the
# libraries the binary links directly, plus the Mesa libraries it loads at run
# time (libEGL for the compute backend, libGL for the window); libc6 at the
# newest GLIBC_ symbol version the binary uses.
debdepends() {
	local libs pkgs p glibc
	glibc=$(objdump -T "$1" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n 1)
	# The libraries the binary names itself (NEEDED), where ldd finds them.
	libs=$(ldd "$1" | awk -v need="$(objdump -p "$1" | awk '/NEEDED/{print $2}' | paste -sd' ' -)" \
		'BEGIN{n=split(need,a," "); for(i=1;i<=n;i++) want[a[i]]=1} /=> \//{if($1 in want) print $3}')
	pkgs=$(for l in $libs; do dpkg -S "$(readlink -f "$l")" 2>/dev/null || dpkg -S "$l"; done | cut -d: -f1 | sort -u)
	for p in $pkgs libegl1 libgl1; do
		case $p in
		libopenblas0-*) echo "libopenblas0" ;;
		libc6) echo "libc6 (>= $glibc)" ;;
		*) echo "$p" ;;
		esac
	done | sort -u | paste -sd, - | sed 's/,/, /g'
}

package_linux() {
	need dpkg-deb
	need objdump
	local fyne out stage deb size
	fyne=$(fyne_cli)
	out=build/linux
	mkdir -p "$out"
	say "building $out/workbench $VERSION ($BUILDDATE)"
	go build -trimpath -ldflags "-s -w $xflags" -o "$out/workbench" ./cmd/workbench
	[ "$("$out/workbench" --version)" = "workbench $VERSION" ] || die "the built binary does not report version $VERSION"

	say "fyne package --os linux"
	rm -f Workbench.tar.xz
	"$fyne" package --os linux --executable "$root/$out/workbench" --name Workbench --app-id "$appid" \
		--icon "$root/assets/icon.png" --app-version "$NUMVERSION" --app-build "$BUILD" --release
	mv Workbench.tar.xz "dist/workbench-$VERSION-linux-amd64.tar.xz"

	stage=build/deb/workbench
	rm -rf "$stage"
	install -D -m 0755 "$out/workbench" "$stage/usr/bin/workbench"
	install -D -m 0644 packaging/linux/workbench.desktop "$stage/usr/share/applications/workbench.desktop"
	install -D -m 0644 packaging/linux/workbench-mime.xml "$stage/usr/share/mime/packages/workbench.xml"
	install -D -m 0644 packaging/linux/copyright "$stage/usr/share/doc/workbench/copyright"
	go run ./scripts/packicons -hicolor "$stage/usr/share/icons"
	size=$(du -sk "$stage/usr" | cut -f1)
	mkdir -p "$stage/DEBIAN"
	sed -e "s/@VERSION@/$DEBVERSION/" -e "s/@INSTALLED_SIZE@/$size/" -e "s/@DEPENDS@/$(debdepends "$out/workbench")/" \
		packaging/linux/control.in >"$stage/DEBIAN/control"
	deb="dist/workbench_${DEBVERSION}_amd64.deb"
	dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
	say "wrote dist/workbench-$VERSION-linux-amd64.tar.xz ($(du -h "dist/workbench-$VERSION-linux-amd64.tar.xz" | cut -f1))"
	say "wrote $deb ($(du -h "$deb" | cut -f1), installed size $((size / 1024)) MiB; $(dpkg-deb -f "$deb" Depends))"
}

package_windows() {
	local cc=x86_64-w64-mingw32-gcc cxx=x86_64-w64-mingw32-g++ fyne out placeholder
	[ -z "$native_windows" ] || cc=gcc cxx=g++
	need "$cc"
	need makensis
	fyne=$(fyne_cli)
	out=build/windows
	mkdir -p "$out"
	# fyne package builds the exe itself (it links the icon, manifest and
	# version info in as a .syso): the placeholder makes it skip its first,
	# plain build. BLAS is the engine's pure-Go kernels (engine/blas uses
	# OpenBLAS only for linux/darwin with cgo), so no DLL ships with it.
	placeholder=cmd/workbench/workbench.exe
	: >"$placeholder"
	# shellcheck disable=SC2064 # expanded now: the locals are gone at exit
	trap "rm -f '$root/$placeholder' '$root/cmd/workbench/Workbench.exe'" EXIT
	say "fyne package --os windows (cgo with mingw-w64; slow the first time)"
	(cd cmd/workbench &&
		CC=$cc CXX=$cxx GOOS=windows GOARCH=amd64 CGO_ENABLED=1 \
			GOFLAGS="-ldflags=-X=main.version=$VERSION -ldflags=-X=main.buildDate=$BUILDDATE" \
			"$fyne" package --os windows --executable "$root/$placeholder" --name Workbench --app-id "$appid" \
			--icon "$root/assets/icon.png" --app-version "$NUMVERSION" --app-build "$BUILD" --release)
	[ -s cmd/workbench/Workbench.exe ] || die "fyne package did not write cmd/workbench/Workbench.exe"
	mv cmd/workbench/Workbench.exe "$out/workbench.exe"
	rm -f "$placeholder"
	go run ./scripts/packicons -ico "$out/workbench.ico"
	cp "$out/workbench.exe" "dist/workbench-$VERSION-windows-amd64.exe"

	say "makensis"
	makensis -V2 -DVERSION="$VERSION" -DVERSION4="$NUMVERSION.$BUILD" -DSRCDIR="$(nativepath "$root/$out")" \
		-DOUTFILE="$(nativepath "$root/dist/workbench-$VERSION-windows-amd64-setup.exe")" "$(nativepath "$root/packaging/windows/workbench.nsi")"
	say "wrote dist/workbench-$VERSION-windows-amd64-setup.exe ($(du -h "dist/workbench-$VERSION-windows-amd64-setup.exe" | cut -f1))"
}

package_darwin() {
	[ "$(uname -s)" = Darwin ] || die "the macOS .app and .dmg are built on macOS only (the release workflow's macOS runner)"
	local fyne out arch app dmg
	fyne=$(fyne_cli)
	arch=$(go env GOARCH)
	out=build/darwin-$arch
	rm -rf "$out" Workbench.app && mkdir -p "$out"
	# cgo on darwin links Accelerate (engine/blas/sgemm_accelerate.go); GOARCH
	# amd64 on an arm64 Mac cross-builds (cmd/go passes -arch to clang).
	export MACOSX_DEPLOYMENT_TARGET=${MACOSX_DEPLOYMENT_TARGET:-11.0}
	CGO_ENABLED=1 CGO_CFLAGS="-mmacosx-version-min=$MACOSX_DEPLOYMENT_TARGET" \
		CGO_LDFLAGS="-mmacosx-version-min=$MACOSX_DEPLOYMENT_TARGET" \
		go build -trimpath -ldflags "-s -w $xflags" -o "$out/workbench" ./cmd/workbench
	# fyne package wraps the built binary (it does not rebuild for darwin):
	# Info.plist with the version and build, icon.icns, Workbench.app here.
	"$fyne" package --os darwin --executable "$root/$out/workbench" --name Workbench --app-id "$appid" \
		--icon "$root/assets/icon.png" --app-version "$NUMVERSION" --app-build "$BUILD" --release
	mv Workbench.app "$out/"
	app="$out/Workbench.app"
	[ -d "$app" ] || die "fyne package did not write $app"
	# fyne's Info.plist leaves the category empty ("public.app-category.") and
	# says macOS 10.11; set both, and declare the .wbproj document type.
	/usr/libexec/PlistBuddy -c "Set :LSApplicationCategoryType public.app-category.education" \
		-c "Set :LSMinimumSystemVersion $MACOSX_DEPLOYMENT_TARGET" \
		-c "Merge packaging/darwin/document-types.plist" "$app/Contents/Info.plist"
	if [ -n "${MACOS_SIGN_IDENTITY:-}" ]; then
		codesign --force --options runtime --timestamp \
			--entitlements packaging/darwin/entitlements.plist --sign "$MACOS_SIGN_IDENTITY" "$app"
		codesign --verify --strict --verbose=2 "$app"
	fi
	dmg="dist/workbench-$VERSION-darwin-$arch.dmg"
	rm -f "$dmg"
	mkdir -p "$out/dmg" && cp -R "$app" "$out/dmg/" && ln -s /Applications "$out/dmg/Applications"
	hdiutil create -volname "Workbench $VERSION" -srcfolder "$out/dmg" -fs HFS+ -format UDZO -ov "$dmg"
	if [ -n "${MACOS_SIGN_IDENTITY:-}" ]; then
		codesign --force --timestamp --sign "$MACOS_SIGN_IDENTITY" "$dmg"
	fi
	say "wrote $dmg"
}

case $target in
linux) package_linux ;;
windows) package_windows ;;
darwin) package_darwin ;;
all)
	package_linux
	package_windows
	if [ "$(uname -s)" = Darwin ]; then package_darwin; else say "darwin skipped: it builds on macOS only"; fi
	;;
esac
