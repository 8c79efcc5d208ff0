# ttft_tbt.gp - CDFs of TTFT and of per-request mean TBT, one line per
# policy, from a per-request CSV written by `sparseserve sim --csv`.
#
#   gnuplot -e "csv='requests.csv'; out='fig.png'; policies='vllm vllm-s'; \
#               title='...'" plots/ttft_tbt.gp
#
# Columns used: 1 policy, 8 ttft_s, 9 mean_tbt_s, 15 status.
# PNG when `out` ends in .png, SVG when it ends in .svg.
if (!exists("csv")) csv = 'requests.csv'
if (!exists("out")) out = 'ttft_tbt.png'
if (!exists("policies")) policies = 'vllm vllm-s'
if (!exists("title")) title = ''
if (out[strlen(out)-3:] eq 'svg') {
    set terminal svg size 1100,420 dynamic font 'Helvetica,12'
} else {
    set terminal pngcairo size 1100,420 font 'Helvetica,11'
}
set output out
set datafile separator ','
set key bottom right
set grid
set multiplot layout 1,2 title title

set title 'Time to first token'
set xlabel 'TTFT (s)'
set ylabel 'fraction of requests'
set logscale x
set yrange [0:1]
plot for [p in policies] csv using \
    (strcol(1) eq p && strcol(15) eq 'finished' ? $8 : 1/0):(1.0) \
    smooth cnormal with lines lw 2 title p

set title 'Time between tokens (per-request mean)'
set xlabel 'mean TBT (ms)'
unset logscale x
set autoscale x
plot for [p in policies] csv using \
    (strcol(1) eq p && strcol(15) eq 'finished' && $9 == $9 ? 1000*$9 : 1/0):(1.0) \
    smooth cnormal with lines lw 2 title p
unset multiplot
