#!/usr/bin/env bash
# Prints Workbench's version: the git tag vX.Y.Z[-pre] at HEAD when there is
# one, else the VERSION file at the repository root (a source tarball has no
# git). The one place to change the version is VERSION (or a release tag).
#
# Usage: scripts/package-version.sh            the version, e.g. 0.1.0
#        scripts/package-version.sh --shell    shell assignments for package.sh:
#   VERSION     as above
#   NUMVERSION  its X.Y.Z part (what fyne, Windows and macOS metadata accept)
#   DEBVERSION  Debian's spelling (0.2.0-rc1 becomes 0.2.0~rc1, sorting first)
#   BUILD       WB_BUILD, else the number of commits on HEAD, else 1
#   BUILDDATE   YYYY-MM-DD of SOURCE_DATE_EPOCH, else of HEAD's commit, else today (UTC)
set -euo pipefail
cd "$(dirname "$0")/.."

v=
if git rev-parse --git-dir >/dev/null 2>&1; then
	if tag=$(git describe --tags --exact-match --match 'v[0-9]*' HEAD 2>/dev/null); then
		v=${tag#v}
	fi
fi
if [ -z "$v" ]; then
	[ -r VERSION ] || {
		echo "package-version.sh: no VERSION file and no vX.Y.Z tag at HEAD" >&2
		exit 1
	}
	v=$(tr -d ' \t\r\n' <VERSION)
fi
if ! [[ $v =~ ^([0-9]+\.[0-9]+\.[0-9]+)([-+][0-9A-Za-z.-]+)?$ ]]; then
	echo "package-version.sh: version '$v' is not X.Y.Z or X.Y.Z-pre; fix VERSION or the tag" >&2
	exit 1
fi
num=${BASH_REMATCH[1]}

if [ "${1:-}" != --shell ]; then
	echo "$v"
	exit 0
fi
build=${WB_BUILD:-}
[ -n "$build" ] || build=$(git rev-list --count HEAD 2>/dev/null || echo 1)
if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
	date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%F 2>/dev/null || date -u -r "$SOURCE_DATE_EPOCH" +%F)
else
	date=$(TZ=UTC git log -1 --date=format-local:%F --format=%cd 2>/dev/null || date -u +%F)
fi
echo "VERSION=$v NUMVERSION=$num DEBVERSION=${v/-/\~} BUILD=$build BUILDDATE=$date"
