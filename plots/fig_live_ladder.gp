# fig_live_ladder.gp - new figure: the ablation ladder served live on the
# H200 beside the simulator (Llama-3-8B-262k, LongBench-v1-32k lengths, 64
# requests at 3 req/s, KV capped at 24.6 GB; experiments/live-points.sh,
# EXPERIMENTS.md "Live points at saturating load"): mean TTFT, mean TBT,
# throughput and blocks loaded per policy, simulated (profile h200-live)
# and live bars side by side.
#
#   gnuplot -e "dir='DATA'; out='f.png'" plots/fig_live_ladder.gp
#
# Reads DATA/live_ladder.dat (experiments/figures/validation.py: policy
# ttft_sim_s ttft_live_s tbt_sim_ms tbt_live_ms tput_sim tput_live
# blocks_sim_M blocks_live_M).
if (out[strlen(out)-2:] eq 'svg') {
    set terminal svg size 1400,380 dynamic font 'Helvetica,12'
} else {
    set terminal pngcairo size 1400,380 font 'Helvetica,10'
}
set output out
f = sprintf('%s/live_ladder.dat', dir)
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set key top left noenhanced
set xtics noenhanced rotate by -30
set yrange [0:*]
set offsets 0, 0, graph 0.12, 0
set multiplot layout 1,4 title 'Ablation ladder on the H200, llama-3-8b-262k, 3 req/s, KV 24.6 GB: simulated (h200-live) vs live'
set title 'mean TTFT (s)'
plot f using 2:xtic(1) title 'sim' lc rgb '#4c72b0', '' using 3 title 'live' lc rgb '#dd8452'
set title 'mean TBT (ms)'
plot f using 4:xtic(1) title 'sim' lc rgb '#4c72b0', '' using 5 title 'live' lc rgb '#dd8452'
set title 'throughput (tok/s)'
plot f using 6:xtic(1) title 'sim' lc rgb '#4c72b0', '' using 7 title 'live' lc rgb '#dd8452'
set title 'blocks loaded (M block-heads)'
plot f using 8:xtic(1) title 'sim' lc rgb '#4c72b0', '' using 9 title 'live' lc rgb '#dd8452'
unset multiplot
