# fig01.gp - Figure 1 of the SparseServe paper: token throughput and KV
# blocks loaded per iteration versus batch size, DSA with offloading and
# FlashH2D but no working-set control (so-ft), LWM-7B, offline batch.
#
#   gnuplot -e "dir='DATA'; prof='a100-40g'; out='f.png'" plots/fig01.gp
#
# Reads DATA/batch_<prof>_so-ft.dat (batch tput_tok_s loads_per_iter ...).
if (out[strlen(out)-2:] eq 'svg') {
    set terminal svg size 700,420 dynamic font 'Helvetica,12'
} else {
    set terminal pngcairo size 700,420 font 'Helvetica,10'
}
set output out
set datafile missing 'nan'
set grid
set key top left
set title sprintf('Fig 1: throughput and loads vs batch size (so-ft, lwm-7b, %s)', prof)
set xlabel 'batch size (sched.max_num_seqs)' noenhanced
set ylabel 'output tokens/s'
set y2label 'KV block-heads loaded per iteration'
set ytics nomirror
set y2tics
set xtics 2
set yrange [0:*]
set y2range [0:*]
plot sprintf('%s/batch_%s_so-ft.dat', dir, prof) using 1:2 axes x1y1 with linespoints lw 2 pt 7 title 'throughput', \
     '' using 1:3 axes x1y2 with linespoints lw 2 pt 5 dt 2 title 'blocks loaded / iteration'
