# fig14b.gp - Figure 14b of the SparseServe paper: latency of one 32k-token
# LWM-7B prefill by KV save mechanism, normalised to the prefill without
# saving (vllm-s); at the default HBM and with the KV space capped at 8 GB.
#
#   gnuplot -e "dir='DATA'; prof='a100-40g'; out='f.png'" plots/fig14b.gp
#
# Reads DATA/save_<prof>.dat (i mechanism norm_default norm_cap8).
if (out[strlen(out)-2:] eq 'svg') {
    set terminal svg size 600,420 dynamic font 'Helvetica,12'
} else {
    set terminal pngcairo size 600,420 font 'Helvetica,10'
}
set output out
set datafile missing 'nan'
set grid y
set key top right
set title sprintf('Fig 14b: prefill latency by save mechanism (lwm-7b, %s)', prof)
set ylabel 'prefill latency / compute-only prefill'
set boxwidth 0.35
set style fill solid 0.8 border -1
set xrange [-0.6:2.6]
set yrange [0:*]
set xtics ('memcpy' 0, 'GPU-direct' 1, 'FlashD2H' 2)
d = sprintf('%s/save_%s.dat', dir, prof)
plot d using ($1-0.18):3 with boxes lc rgb '#3182bd' title 'default HBM', \
     d using ($1-0.18):3:(sprintf('%.2f', $3)) with labels offset 0,0.7 notitle, \
     d using ($1+0.18):4 with boxes lc rgb '#e6550d' title 'KV capped at 8 GB', \
     d using ($1+0.18):4:(sprintf('%.2f', $4)) with labels offset 0,0.7 notitle, \
     1 with lines dt 2 lc rgb 'black' notitle
