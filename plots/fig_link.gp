# fig_link.gp - new figure: how SparseServe's advantage moves with the
# host-link bandwidth (a100-40g what-if with the link and every transfer
# table scaled, experiments/figures/profiles.py; LWM-7B, 0.6 req/s).
#
#   gnuplot -e "dir='DATA'; out='f.png'" plots/fig_link.gp
#
# Reads DATA/link.dat (link_gbs ttft_vllm_over_ss ttft_vllmso_over_ss
# tput_ss_over_vllm tput_ss_over_vllmso; vLLM-SO only at the base link).
if (out[strlen(out)-2:] eq 'svg') {
    set terminal svg size 700,420 dynamic font 'Helvetica,12'
} else {
    set terminal pngcairo size 700,420 font 'Helvetica,10'
}
set output out
set datafile missing 'nan'
set grid
set key top left
set title 'SparseServe advantage vs host link (a100-40g what-if, lwm-7b, 0.6 req/s)'
set xlabel 'host link, one way (GB/s)'
set ylabel 'ratio (>1: SparseServe better)'
set logscale xy
plot sprintf('%s/link.dat', dir) using 1:2 with linespoints lw 2 pt 7 title 'TTFT vLLM / SparseServe', \
     '' using 1:3 with linespoints lw 2 pt 5 title 'TTFT vLLM-SO / SparseServe', \
     '' using 1:4 with linespoints lw 2 pt 7 dt 2 title 'throughput SparseServe / vLLM', \
     '' using 1:5 with linespoints lw 2 pt 5 dt 2 title 'throughput SparseServe / vLLM-SO', \
     1 with lines lc rgb 'black' dt 3 notitle
