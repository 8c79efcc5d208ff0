#!/usr/bin/env bash
# deps.sh - install the Debian packages the project needs, if missing.
# Used by the README's two commands and by CI; safe to run repeatedly.
set -euo pipefail
pkgs=(meson ninja-build pkg-config gcc libhdf5-dev hdf5-tools libgsl-dev
      libcjson-dev gnuplot-nox libopenmpi-dev openmpi-bin python3)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
if ((${#missing[@]})); then
	echo "deps: installing ${missing[*]}" >&2
	sudo=""
	[ "$(id -u)" -ne 0 ] && sudo="sudo"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq >&2
	$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
