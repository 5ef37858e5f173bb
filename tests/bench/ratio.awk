# Ratio of two sets of timed runs, for runs alternated on a machine whose
# speed changes within seconds.  Variables: num and den, space-separated
# times (the reference's and ours).  Prints: the median of num, the median
# of den, their ratio, and the ratio of the fastest runs of each.
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
  nn = sorted(num, x); nd = sorted(den, y)
  mx = median(x, nn); my = median(y, nd)
  printf "%g %g %.0f %.0f\n", mx, my, mx / my, x[1] / y[1]
}
