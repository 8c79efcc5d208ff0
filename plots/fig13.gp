# fig13.gp - Figure 13 of the SparseServe paper: the ablation ladder
# vLLM, +SA, +Offload, +FT, +WC, +LP (= SparseServe): the highest request
# rate of the sweep whose run meets the SLO, and goodput (SLO-attaining
# requests/s) at the sweep's highest rate.
#
#   gnuplot -e "dir='DATA'; prof='a100-40g'; model='lwm-7b'; out='f.png'" plots/fig13.gp
#
# Reads DATA/goodput_<prof>_<model>.dat (step max_rate_slo goodput_top).
if (out[strlen(out)-2:] eq 'svg') {
    set terminal svg size 1000,400 dynamic font 'Helvetica,12'
} else {
    set terminal pngcairo size 1000,400 font 'Helvetica,10'
}
set output out
set datafile missing 'nan'
set grid y
set key off
set boxwidth 0.6
set style fill solid 0.8 border -1
set xrange [-0.6:5.6]
set yrange [0:*]
# headroom above the tallest bar so its value label stays inside the plot
set offsets 0, 0, graph 0.12, 0
set xtics ('vLLM' 0, '+SA' 1, '+Offload' 2, '+FT' 3, '+WC' 4, '+LP' 5)
d = sprintf('%s/goodput_%s_%s.dat', dir, prof, model)
set multiplot layout 1,2 title sprintf('Fig 13: ablation ladder under the SLO (%s, %s)', model, prof)
set title 'highest swept rate meeting the SLO'
set ylabel 'req/s'
plot d using 1:2 with boxes lc rgb '#3182bd', d using 1:2:(sprintf('%g', $2)) with labels offset 0,0.7
set title 'goodput at the highest swept rate'
set ylabel 'SLO-attaining req/s'
plot d using 1:3 with boxes lc rgb '#31a354', d using 1:3:(sprintf('%.3f', $3)) with labels offset 0,0.7
unset multiplot
