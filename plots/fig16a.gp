# fig16a.gp - Figure 16a of the SparseServe paper: mean TTFT versus request
# rate, chunked prefill (so-ft-wc) versus layer-segmented prefill
# (sparseserve), both with FlashH2D/D2H and working-set control.
#
#   gnuplot -e "dir='DATA'; prof='a100-40g'; model='lwm-7b'; out='f.png'" plots/fig16a.gp
#
# Reads DATA/rate_<prof>_<model>_{so-ft-wc,sparseserve}.dat (col 2 TTFT).
if (out[strlen(out)-2:] eq 'svg') {
    set terminal svg size 600,420 dynamic font 'Helvetica,12'
} else {
    set terminal pngcairo size 600,420 font 'Helvetica,10'
}
set output out
set datafile missing 'nan'
set grid
set key top left
f(p) = sprintf('%s/rate_%s_%s_%s.dat', dir, prof, model, p)
set title sprintf('Fig 16a: chunked vs layer-segmented prefill (%s, %s)', model, prof)
set xlabel 'request rate (req/s)'
set ylabel 'mean TTFT (s)'
set logscale y
plot f('so-ft-wc') using 1:2 with linespoints lw 2 pt 7 title 'chunked (so-ft-wc)', \
     f('sparseserve') using 1:2 with linespoints lw 2 pt 5 title 'layer-segmented (sparseserve)'
