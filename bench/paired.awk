# SPDX-License-Identifier: BSD-2-Clause
# awk -v a=NAME -v b=NAME [-v t=US] -f bench/paired.awk RAW: how much longer
# command a takes than command b, from bench/runner -o's per-run times
# ("NAME ROUND us"). The two runs of one round are neighbours in time, so
# a load change on the shared machine hits both: the median of the round
# differences is steadier than the difference of two medians. Prints
# "median lo hi n" in microseconds, lo..hi the order statistics
# n/2 -+ 0.98 sqrt(n) of the sorted differences (a 95 % interval of the
# median), and with t also the median as a percentage of t.
$1 == a { x[$2] = $3 }
$1 == b { y[$2] = $3 }
END {
	n = 0
	for (r in x)
		if (r in y)
			d[++n] = x[r] - y[r]
	if (n == 0)
		exit 1
	# insertion sort: n is a few dozen rounds
	for (i = 2; i <= n; i++) {
		v = d[i]
		for (j = i - 1; j >= 1 && d[j] > v; j--)
			d[j + 1] = d[j]
		d[j + 1] = v
	}
	m = n % 2 ? d[(n + 1) / 2] : (d[n / 2] + d[n / 2 + 1]) / 2
	k = int(n / 2 - 0.98 * sqrt(n))
	if (k < 1)
		k = 1
	printf "%.1f %.1f %.1f %d", m, d[k], d[n + 1 - k], n
	if (t != "")
		printf " %.2f", 100 * m / t
	printf "\n"
}
