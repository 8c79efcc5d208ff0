# plot.gp - SparseServe Figures 10-12 from a rate x HBM-budget sweep:
# mean TTFT, token throughput and mean TBT against the request rate, one
# line per policy, one column per model, for one HBM budget.
#
#   gnuplot -e "csv='out/rate-hbm.csv'; budget=0; out='fig.png'" plot.gp
#
# Reads the CSV of `sparseserve sweep --csv` by column name (model, policy,
# rate, mem.hbm_budget_gb, status, ttft_mean_s, throughput_tok_s,
# tbt_mean_s). Failed runs (status != 0) are left out. The rows of one
# (model, budget, policy) come in increasing rate, as the spec's axis
# order makes them (rate is the last, fastest axis).
# PNG when `out` ends in .png, SVG when it ends in .svg.
if (!exists("csv")) csv = 'out/rate-hbm.csv'
if (!exists("out")) out = 'rate-hbm.png'
if (!exists("budget")) budget = 0
if (!exists("models")) models = 'lwm-7b llama-3-8b-262k'
if (!exists("policies")) policies = 'vllm vllm-s vllm-so sparseserve'
if (out[strlen(out)-3:] eq 'svg') {
    set terminal svg size 1000,1100 dynamic font 'Helvetica,12'
} else {
    set terminal pngcairo size 1000,1100 font 'Helvetica,11'
}
set output out
set datafile separator ','
set datafile columnheaders
set key top left
set grid
set xlabel 'request rate (req/s)'
btitle = (budget == 0) ? 'all free HBM for KV' : sprintf('HBM budget for KV %g GB', budget)
set multiplot layout 3,2 title sprintf('SparseServe Figs. 10-12 (simulated, A100-40GB profile, %s)', btitle)

ok(m, p) = strcol("model") eq m && strcol("policy") eq p && \
           column("mem.hbm_budget_gb") == budget && column("status") == 0

do for [m in models] {
    set title sprintf('%s: mean TTFT (Fig. 10)', m)
    set ylabel 'mean TTFT (s)'
    set logscale y
    plot for [p in policies] csv using (ok(m, p) ? column("rate") : 1/0):(column("ttft_mean_s")) \
        with linespoints lw 2 pt 7 ps 0.6 title p
    unset logscale y
}
do for [m in models] {
    set title sprintf('%s: token throughput (Fig. 11)', m)
    set ylabel 'throughput (tokens/s)'
    plot for [p in policies] csv using (ok(m, p) ? column("rate") : 1/0):(column("throughput_tok_s")) \
        with linespoints lw 2 pt 7 ps 0.6 title p
}
do for [m in models] {
    set title sprintf('%s: mean TBT (Fig. 12)', m)
    set ylabel 'mean TBT (ms)'
    plot for [p in policies] csv using (ok(m, p) ? column("rate") : 1/0):(1000*column("tbt_mean_s")) \
        with linespoints lw 2 pt 7 ps 0.6 title p
}
unset multiplot
