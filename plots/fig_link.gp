# fig_link.gp - new figure: how SparseServe's advantage over vLLM moves
# with the host-link bandwidth (a100-40g with config keys link.h2d_gbps =
# link.d2h_gbps = G: the bidirectional cap scaled with them and every
# transfer rate by the series model; LWM-7B, 0.6 req/s).
#
#   gnuplot -e "dir='DATA'; out='f.png'" plots/fig_link.gp
#
# Reads DATA/link.dat (link_gbs ttft_vllm_over_ss tput_ss_over_vllm).
if (out[strlen(out)-2:] eq 'svg') {
    set terminal svg size 700,420 dynamic font 'Helvetica,12'
} else {
    set terminal pngcairo size 700,420 font 'Helvetica,10'
}
set output out
set datafile missing 'nan'
set grid
set key bottom right
set title 'SparseServe advantage vs host link (a100-40g, lwm-7b, 0.6 req/s)'
set xlabel 'host link, each way (GB/s; link.h2d_gbps = link.d2h_gbps)' noenhanced
set ylabel 'ratio (>1: SparseServe better)'
set logscale xy
set xtics (16, 32, 64, 128, 256, 450)
plot sprintf('%s/link.dat', dir) using 1:2 with linespoints lw 2 pt 7 title 'mean TTFT vLLM / SparseServe', \
     '' using 1:3 with linespoints lw 2 pt 5 dt 2 title 'throughput SparseServe / vLLM', \
     1 with lines lc rgb 'black' dt 3 notitle
