# fig10_12.gp - Figures 10-12 of the SparseServe paper: mean TTFT, token
# throughput and mean TBT versus request rate, one line per policy.
#
#   gnuplot -e "dir='DATA'; prof='a100-40g'; model='lwm-7b'; out='f.png'" plots/fig10_12.gp
#
# Reads DATA/rate_<prof>_<model>_<policy>.dat (experiments/figures/extract.py:
# rate ttft_mean_s tput_tok_s tbt_mean_ms ...) and, where it exists,
# DATA/live_<prof>_<model>.dat (experiments/figures/validation.py: lt rate
# ttft_s tput tbt_ms kind): points measured live on the H200 (filled) and
# the simulator on those runs' own settings (open squares: profile
# h200-live, the live run's DRAM pool), in the policy's colour. PNG or SVG
# by out's suffix.
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
livef = sprintf('%s/live_%s_%s.dat', dir, prof, model)
has_live = int(system(sprintf("test -s '%s' && echo 1 || echo 0", livef)))
# the live overlay of column c (3 TTFT, 4 throughput, 5 TBT)
live(c) = has_live ? sprintf(", '%s' using 2:(strcol(6) eq 'live' ? column(%d) : 1/0):1 with points pt 7 ps 2 lc variable title 'live (H200)', '%s' using 2:(strcol(6) eq 'sim' ? column(%d) : 1/0):1 with points pt 4 ps 2 lw 2 lc variable title 'sim, live run settings'", livef, c, livef, c) : ''
set multiplot layout 1,3 title sprintf('%s, %s (simulated, %s profile%s)', model, prof, prof, has_live ? '; points: live on the H200 and the simulator on those runs'' settings' : '')
set xlabel 'request rate (req/s)'
set title 'Fig 10: mean TTFT'
set ylabel 'mean TTFT (s)'
set logscale y
L = live(3)
plot for [p in policies] f(p) using 1:2 with linespoints lw 2 pt 7 title p @L
unset logscale y
set title 'Fig 11: token throughput'
set ylabel 'output tokens/s'
L = live(4)
plot for [p in policies] f(p) using 1:3 with linespoints lw 2 pt 7 title p @L
set title 'Fig 12: mean TBT'
set ylabel 'mean TBT (ms)'
set logscale y
L = live(5)
plot for [p in policies] f(p) using 1:4 with linespoints lw 2 pt 7 title p @L
unset multiplot
