# fig16b.gp - Figure 16b of the SparseServe paper: one 32k-token LWM-7B
# prefill, chunked (chunk 512/1024/2048) versus layer-segmented
# (maxInjectToken = chunk x 32 layers), normalised to the prefill in one
# chunk, on a100-40g and h200.
#
#   gnuplot -e "dir='DATA'; out='f.png'" plots/fig16b.gp
#
# Reads DATA/chunk_{a100-40g,h200}.dat (chunk chunked_norm layer_norm).
if (out[strlen(out)-2:] eq 'svg') {
    set terminal svg size 600,420 dynamic font 'Helvetica,12'
} else {
    set terminal pngcairo size 600,420 font 'Helvetica,10'
}
set output out
set datafile missing 'nan'
set grid
set key top right
set title 'Fig 16b: prefill latency vs chunk size (lwm-7b, 32k prompt)'
set xlabel 'chunk size (tokens)'
set ylabel 'prefill latency / one-chunk prefill'
set logscale x 2
set xtics (512, 1024, 2048)
set xrange [400:2600]
plot for [p in 'a100-40g h200'] sprintf('%s/chunk_%s.dat', dir, p) using 1:2 with linespoints lw 2 pt 7 title 'chunked, '.p, \
     for [p in 'a100-40g h200'] sprintf('%s/chunk_%s.dat', dir, p) using 1:3 with linespoints lw 2 pt 5 dt 2 title 'layer-segmented, '.p
