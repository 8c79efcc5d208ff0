#!/usr/bin/env bash
# lint.sh - guard rails as TAP tests (registered in tests/meson.build):
#  1. no banned C functions (common/banned.h) in project sources;
#  2. policy/ stays executor-agnostic: no CUDA, HDF5, GSL, clock or file
#     I/O (DESIGN.md: the same object files drive the simulator and GPU).
root=${SS_SOURCE_ROOT:-$(dirname "$0")/..}
cd "$root" || exit 1
echo "TAP version 13"
echo "1..2"
srcs=$(find common policy sim traces model cli kernels bench sweep live calibrate tests \
	\( -name '*.[ch]' -o -name '*.cu' \) 2>/dev/null | grep -v '^common/banned.h$' | sort)
banned='\b(strcpy|strcat|strncpy|strncat|sprintf|vsprintf|gets|atoi|atof|rand|srand|strtok)[[:space:]]*\('
hits=$(grep -nE "$banned" $srcs 2>/dev/null | grep -vE '^[^:]+:[0-9]+:[[:space:]]*(\*|/\*|//)')
if [ -z "$hits" ]; then
	echo "ok 1 - no banned functions"
else
	echo "not ok 1 - banned functions used"
	echo "$hits" | sed 's/^/# /'
fi
pol=$(ls policy/*.[ch] 2>/dev/null)
bad=$(grep -nE '#include[[:space:]]*[<"](cuda|cublas|hdf5|H5|gsl/|time\.h|sys/time\.h|stdio\.h|pthread)' $pol 2>/dev/null;
      grep -nE '\b(fopen|fprintf|printf|puts|fwrite|fread|clock_gettime|gettimeofday|clock)[[:space:]]*\(' $pol 2>/dev/null |
	grep -vE '^[^:]+:[0-9]+:[[:space:]]*(\*|/\*|//)')
if [ -z "$bad" ]; then
	echo "ok 2 - policy/ has no CUDA, HDF5, GSL, clock or I/O"
else
	echo "not ok 2 - policy/ depends on its executor"
	echo "$bad" | sed 's/^/# /'
fi
