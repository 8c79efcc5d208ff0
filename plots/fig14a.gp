# fig14a.gp - Figure 14a of the SparseServe paper: mean iteration (batch)
# latency split into KV loading and the rest, per-block memcpy (vllm-so)
# versus FlashH2D (so-ft), at batch sizes 4, 6, 8, LWM-7B, offline batch.
#
#   gnuplot -e "dir='DATA'; prof='a100-40g'; out='f.png'" plots/fig14a.gp
#
# Reads DATA/batch_<prof>_{vllm-so,so-ft}.dat (col 5 load_wait_s,
# 6 gpu_busy_s, 8 iterations).
if (out[strlen(out)-2:] eq 'svg') {
    set terminal svg size 700,420 dynamic font 'Helvetica,12'
} else {
    set terminal pngcairo size 700,420 font 'Helvetica,10'
}
set output out
set datafile missing 'nan'
set grid y
set key top left
set title sprintf('Fig 14a: batch latency and its loading share (lwm-7b, %s)', prof)
set xlabel 'batch size'
set ylabel 'mean iteration latency (ms)'
set boxwidth 0.35
set style fill solid 0.8 border -1
set xrange [3:9]
set xtics ('4' 4, '6' 6, '8' 8)
set yrange [0:*]
m = sprintf('%s/batch_%s_vllm-so.dat', dir, prof)
f = sprintf('%s/batch_%s_so-ft.dat', dir, prof)
plot m using ($1-0.2):(1000*$6/$8) with boxes lc rgb '#9ecae1' title 'memcpy: other', \
     m using ($1-0.2):(1000*$5/$8) with boxes lc rgb '#08519c' title 'memcpy: loading', \
     m using ($1-0.2):(1000*$6/$8):(sprintf('%.0f%%', 100*$4)) with labels offset 0,0.7 notitle, \
     f using ($1+0.2):(1000*$6/$8) with boxes lc rgb '#fdae6b' title 'FlashH2D: other', \
     f using ($1+0.2):(1000*$5/$8) with boxes lc rgb '#a63603' title 'FlashH2D: loading', \
     f using ($1+0.2):(1000*$6/$8):(sprintf('%.0f%%', 100*$4)) with labels offset 0,0.7 notitle
