#!/bin/sh
# version.sh - the build's version string (common/version.h, the
# provenance of calibrations and results): SS_GIT_DESCRIBE when set
# (scripts/gpu-run.sh pack with SS_REV builds a clean export, which has no
# .git), else `git describe` of the source tree; meson falls back to the
# project version when this fails.
if [ -n "${SS_GIT_DESCRIBE:-}" ]; then
	echo "$SS_GIT_DESCRIBE"
else
	exec git describe --always --dirty --tags
fi
