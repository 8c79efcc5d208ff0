# fig_hbm.gp - new figure: how SparseServe's advantage moves with the HBM
# space for KV (h200 profile, LWM-7B, 1.5 req/s; mem.hbm_budget_gb).
#
#   gnuplot -e "dir='DATA'; out='f.png'" plots/fig_hbm.gp
#
# Reads DATA/hbm.dat (kv_gb ttft_vllm_over_ss ttft_vllmso_over_ss
# tput_ss_over_vllm tput_ss_over_vllmso ttft_vllms_over_ss).
if (out[strlen(out)-2:] eq 'svg') {
    set terminal svg size 700,420 dynamic font 'Helvetica,12'
} else {
    set terminal pngcairo size 700,420 font 'Helvetica,10'
}
set output out
set datafile missing 'nan'
set grid
set key top right
set title 'SparseServe advantage vs KV space (h200, lwm-7b, 1.5 req/s)'
set xlabel 'KV space in HBM (GB)'
set ylabel 'ratio (>1: SparseServe better)'
set logscale xy
set xtics (12, 24.6, 36, 48, 64, 121)
set xrange [10:140]
plot sprintf('%s/hbm.dat', dir) using 1:2 with linespoints lw 2 pt 7 title 'TTFT vLLM / SparseServe', \
     '' using 1:6 with linespoints lw 2 pt 9 title 'TTFT vLLM-S / SparseServe', \
     '' using 1:3 with linespoints lw 2 pt 5 title 'TTFT vLLM-SO / SparseServe', \
     '' using 1:4 with linespoints lw 2 pt 7 dt 2 title 'throughput SparseServe / vLLM', \
     '' using 1:5 with linespoints lw 2 pt 5 dt 2 title 'throughput SparseServe / vLLM-SO', \
     1 with lines lc rgb 'black' dt 3 notitle
