# fig15.gp - Figure 15 of the SparseServe paper: token throughput and KV
# block loads per iteration versus request rate, with (so-ft-wc) and
# without (so-ft) working-set-aware batch control.
#
#   gnuplot -e "dir='DATA'; prof='a100-40g'; model='lwm-7b'; out='f.png'" plots/fig15.gp
#
# Reads DATA/rate_<prof>_<model>_{so-ft,so-ft-wc}.dat (col 3 tput, 5 loads).
if (out[strlen(out)-2:] eq 'svg') {
    set terminal svg size 1000,400 dynamic font 'Helvetica,12'
} else {
    set terminal pngcairo size 1000,400 font 'Helvetica,10'
}
set output out
set datafile missing 'nan'
set grid
set key top left
f(p) = sprintf('%s/rate_%s_%s_%s.dat', dir, prof, model, p)
set multiplot layout 1,2 title sprintf('Fig 15: working-set control (%s, %s)', model, prof)
set xlabel 'request rate (req/s)'
set title 'throughput'
set ylabel 'output tokens/s'
plot f('so-ft') using 1:3 with linespoints lw 2 pt 7 title 'without WC (so-ft)', \
     f('so-ft-wc') using 1:3 with linespoints lw 2 pt 5 title 'with WC (so-ft-wc)'
set title 'KV block loads per iteration'
set ylabel 'block-heads loaded / iteration + 1'
set logscale y
plot f('so-ft') using 1:($5+1) with linespoints lw 2 pt 7 title 'without WC (so-ft)', \
     f('so-ft-wc') using 1:($5+1) with linespoints lw 2 pt 5 title 'with WC (so-ft-wc)'
unset multiplot
