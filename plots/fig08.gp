# fig08.gp - Figure 8 of the SparseServe paper: overlap ratio between a
# decode step's selection and the union of the previous w steps', from the
# simulator's locality model (experiments/figures/overlap.c).
#
#   gnuplot -e "dir='DATA'; out='f.png'" plots/fig08.gp
#
# Reads DATA/overlap.csv (w,measured,model).
if (out[strlen(out)-2:] eq 'svg') {
    set terminal svg size 600,420 dynamic font 'Helvetica,12'
} else {
    set terminal pngcairo size 600,420 font 'Helvetica,10'
}
set output out
set datafile separator ','
set grid
set key bottom right
set title 'Fig 8: selection overlap vs window (locality model)'
set xlabel 'window w (decode steps)'
set ylabel 'overlap ratio'
set xrange [0.5:16.5]
set xtics 1,1,16
set arrow from 12, graph 0 to 12, graph 1 nohead dt 2
set label 'w = 12' at 12.2, graph 0.1
plot sprintf('%s/overlap.csv', dir) using 1:2 skip 1 with points pt 7 ps 1.2 title 'measured (simulator source)', \
     '' using 1:3 skip 1 with lines lw 2 title 'model: 0.87 + recall mass (gains +10.68, +0.31 pts)'
