# Ratio of two sets of timed runs alternated on a machine whose speed drifts
# within seconds: den0 num1 den1 num2 ... numK denK.  Variables: num (K
# times, the reference's) and den (K + 1 times, ours), space-separated, in
# run order.  Each reference run is compared with the mean of the two runs
# of ours around it, which cancels a drift that is steady over those
# seconds.  Prints: the median of num, the median of den, the median of the
# K paired ratios, the lowest and the highest paired ratio.
function sorted(str, a,   k, i, j, t) {
  k = split(str, a, " ")
  for (i = 2; i <= k; i++)
    for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
  return k
}
function median(a, k) {
  return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
}
BEGIN {
  nn = split(num, x, " "); nd = split(den, y, " ")
  if (nd != nn + 1) {
    print "ratio.awk: need one more run of ours than of the reference" > "/dev/stderr"
    exit 1
  }
  pairs = ""
  for (i = 1; i <= nn; i++)
    pairs = pairs " " x[i] / ((y[i] + y[i + 1]) / 2)
  k = sorted(pairs, p)
  nn = sorted(num, x); nd = sorted(den, y)
  printf "%g %g %.0f %.0f %.0f\n", median(x, nn), median(y, nd), median(p, k), p[1], p[k]
}
