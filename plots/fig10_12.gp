# fig10_12.gp - Figures 10-12 of the SparseServe paper: mean TTFT, token
# throughput and mean TBT versus request rate, one line per policy.
#
#   gnuplot -e "dir='DATA'; prof='a100-40g'; model='lwm-7b'; out='f.png'" plots/fig10_12.gp
#
# Reads DATA/rate_<prof>_<model>_<policy>.dat (experiments/figures/extract.py:
# rate ttft_mean_s tput_tok_s tbt_mean_ms ...). PNG or SVG by out's suffix.
if (!exists("policies")) policies = 'vllm vllm-s vllm-so sparseserve'
if (out[strlen(out)-2:] eq 'svg') {
    set terminal svg size 1350,400 dynamic font 'Helvetica,12'
} else {
    set terminal pngcairo size 1350,400 font 'Helvetica,10'
}
set output out
set key top left
set grid
set datafile missing 'nan'
f(p) = sprintf('%s/rate_%s_%s_%s.dat', dir, prof, model, p)
set multiplot layout 1,3 title sprintf('%s, %s (simulated, %s profile)', model, prof, prof)
set xlabel 'request rate (req/s)'
set title 'Fig 10: mean TTFT'
set ylabel 'mean TTFT (s)'
set logscale y
plot for [p in policies] f(p) using 1:2 with linespoints lw 2 pt 7 title p
unset logscale y
set title 'Fig 11: token throughput'
set ylabel 'output tokens/s'
plot for [p in policies] f(p) using 1:3 with linespoints lw 2 pt 7 title p
set title 'Fig 12: mean TBT'
set ylabel 'mean TBT (ms)'
set logscale y
plot for [p in policies] f(p) using 1:4 with linespoints lw 2 pt 7 title p
unset multiplot
