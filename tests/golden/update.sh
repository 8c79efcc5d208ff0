#!/usr/bin/env bash
# update.sh - regenerate the golden results after an intended change of
# the cost model or the policies; review the diff before committing it.
#   bash tests/golden/update.sh build/sparseserve
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-build/sparseserve}
"$bin" sim $(cat tests/golden/sim_small.args) --quiet \
	--out /tmp/golden.$$.h5 --summary-csv tests/golden/sim_small_summary.csv
rm -f /tmp/golden.$$.h5
git diff --stat tests/golden/ || true
