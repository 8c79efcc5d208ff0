# fig04.gp - Figures 4a/4b of the SparseServe paper: host-link bandwidth
# versus KV block size per transfer mechanism. Measured on our H200
# (kernels/results/h200/summary.csv) beside the paper's A100 numbers:
# the bounds the paper states (Fig 4, 4-32-token blocks: FlashH2D > 20 GB/s,
# memcpy < 5 GB/s; FlashD2H > 23 GB/s, memcpy < 6 GB/s).
#
#   gnuplot -e "dir='DATA'; out='f.png'" plots/fig04.gp
#
# Reads DATA/bw_h2d.dat, DATA/bw_d2h.dat, DATA/bw_scalars.gp.
if (out[strlen(out)-2:] eq 'svg') {
    set terminal svg size 1100,420 dynamic font 'Helvetica,12'
} else {
    set terminal pngcairo size 1100,420 font 'Helvetica,10'
}
set output out
set datafile missing 'nan'
load sprintf('%s/bw_scalars.gp', dir)
set grid
set key top left maxrows 3 font ',9'
set logscale x 2
set xrange [3:150]
set xtics (4, 8, 16, 32, 64, 128)
set xlabel 'block size (tokens; one head, K+V, 512 B per token)'
set ylabel 'GB/s'
set yrange [0:85]
set multiplot layout 1,2
set title 'Fig 4a: H2D loading of scattered blocks'
plot sprintf('%s/bw_h2d.dat', dir) using 1:3 with linespoints lw 2 pt 7 title 'H200 FlashH2D (16 SMs)', \
     '' using 1:4 with linespoints lw 2 pt 5 title 'H200 memcpy per block', \
     '' using 1:5 with linespoints lw 2 pt 9 title 'H200 cudaMemcpyBatchAsync', \
     '' using 1:6 with linespoints lw 2 pt 6 dt 2 title 'paper A100 FlashH2D: > 20 GB/s', \
     '' using 1:7 with linespoints lw 2 pt 4 dt 2 title 'paper A100 memcpy: < 5 GB/s', \
     h200_bulk_h2d with lines lc rgb 'black' dt 3 title 'H200 bulk pinned H2D'
set title 'Fig 4b: D2H saving'
plot sprintf('%s/bw_d2h.dat', dir) using 1:3 with linespoints lw 2 pt 5 title 'H200 memcpy per block', \
     '' using 1:4 with linespoints lw 2 pt 6 dt 2 title 'paper A100 FlashD2H: > 23 GB/s', \
     '' using 1:5 with linespoints lw 2 pt 4 dt 2 title 'paper A100 memcpy: < 6 GB/s', \
     '+' using (32):(h200_flash_d2h_12) every ::0::0 with points pt 7 ps 1.5 title 'H200 FlashD2H, 12 CPU threads', \
     '+' using (32):(h200_flash_d2h_8) every ::0::0 with points pt 13 ps 1.5 title 'H200 FlashD2H, 8 CPU threads', \
     '+' using (32):(h200_gpudirect_d2h) every ::0::0 with points pt 11 ps 1.5 title 'H200 GPU-direct scatter', \
     h200_bulk_d2h with lines lc rgb 'black' dt 3 title 'H200 bulk pinned D2H'
unset multiplot
