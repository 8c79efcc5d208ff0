# fig_validation.gp - new figure: the simulator against the live executor on
# the H200 (issue 7's validation, Llama-3-8B-262k shapes, 30 requests per
# point): mean TTFT, mean TBT and throughput versus request rate; simulated
# (profile h200-live) as lines, live as points, one colour per policy.
#
#   gnuplot -e "dir='DATA'; out='f.png'" plots/fig_validation.gp
#
# Reads DATA/validation_<policy>.dat (experiments/figures/validation.py:
# rate ttft_sim_s ttft_live_s tbt_sim_ms tbt_live_ms tput_sim tput_live ...).
if (!exists("policies")) policies = 'vllm vllm-s vllm-so sparseserve'
if (out[strlen(out)-2:] eq 'svg') {
    set terminal svg size 1350,420 dynamic font 'Helvetica,12'
} else {
    set terminal pngcairo size 1350,420 font 'Helvetica,10'
}
set output out
set grid
set key top left
set datafile missing 'nan'
f(p) = sprintf('%s/validation_%s.dat', dir, p)
n = words(policies)
set xlabel 'request rate (req/s)'
set xrange [0.8:3.2]
set xtics 1
set multiplot layout 1,3 title 'Simulated (lines, profile h200-live) vs live (points) on the H200, llama-3-8b-262k, 30 requests'
set title 'mean TTFT'
set ylabel 'mean TTFT (s)'
set logscale y
plot for [i=1:n] f(word(policies, i)) using 1:2 with lines lc i lw 2 title word(policies, i), \
     for [i=1:n] f(word(policies, i)) using 1:3 with points lc i pt 2*i+3 ps 1.4 notitle
set title 'mean TBT'
set ylabel 'mean TBT (ms)'
plot for [i=1:n] f(word(policies, i)) using 1:4 with lines lc i lw 2 title word(policies, i), \
     for [i=1:n] f(word(policies, i)) using 1:5 with points lc i pt 2*i+3 ps 1.4 notitle
unset logscale y
set title 'token throughput'
set ylabel 'output tokens/s'
set yrange [0:*]
plot for [i=1:n] f(word(policies, i)) using 1:6 with lines lc i lw 2 title word(policies, i), \
     for [i=1:n] f(word(policies, i)) using 1:7 with points lc i pt 2*i+3 ps 1.4 notitle
unset multiplot
