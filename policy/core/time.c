/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "keyauth.h"
#include "kp-internal.h"

/*
 * Time: the policy's dates and RFC 3339 times, UTC throughout, computed
 * on int64 seconds with a proleptic Gregorian calendar so that no libc
 * time zone or time_t range ever takes part in a decision.
 */

/* Days since 1970-01-01 of a proleptic Gregorian date (any year). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
kp_time_civil(int64_t t, struct kp_civil *c)
{
	int64_t days, secs, z, era, doe, yoe, doy, mp;

	/* Floor division, so times before 1970 land on the right day. */
	days = t / 86400;
	secs = t % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	c->mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	c->mon = (int)(mp < 10 ? mp + 3 : mp - 9);
	c->year = yoe + era * 400 + (c->mon <= 2);
	c->hour = (int)(secs / 3600);
	c->min = (int)(secs / 60 % 60);
	c->sec = (int)(secs % 60);
}

static int
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int64_t y, int m)
{
	static const int dm[12] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && is_leap(y))
		return 29;
	return dm[m - 1];
}

/* n ASCII digits at s as a number; -1 if any is not a digit. */
static int
digits(const char *s, int n)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/*
 * Strict RFC 3339 subset: upper-case 'T' and 'Z' only, no space separator,
 * no leap second (sshd and time_t cannot express it), years
 * KP_TIME_YEAR_MIN..KP_TIME_YEAR_MAX. A fraction is accepted and dropped
 * (truncated toward the earlier second).
 */
int
kp_time_parse(const char *s, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0, n;
	const char *p;

	if (out != NULL)
		*out = 0;
	if (s == NULL || out == NULL)
		return KP_ERR_ARG;
	if (strnlen(s, 64) >= 64)
		return KP_ERR_INVALID;
	if ((y = digits(s, 4)) < 0 || s[4] != '-' ||
	    (mo = digits(s + 5, 2)) < 0 || s[7] != '-' ||
	    (d = digits(s + 8, 2)) < 0)
		return KP_ERR_INVALID;
	if (y < KP_TIME_YEAR_MIN || y > KP_TIME_YEAR_MAX || mo < 1 || mo > 12 ||
	    d < 1 || d > days_in_month(y, mo))
		return KP_ERR_INVALID;
	p = s + 10;
	if (*p == 'T') {
		if ((h = digits(p + 1, 2)) < 0 || p[3] != ':' ||
		    (mi = digits(p + 4, 2)) < 0 || p[6] != ':' ||
		    (sec = digits(p + 7, 2)) < 0)
			return KP_ERR_INVALID;
		if (h > 23 || mi > 59 || sec > 59)
			return KP_ERR_INVALID;
		p += 9;
		if (*p == '.') {
			for (n = 0, p++; *p >= '0' && *p <= '9'; p++)
				n++;
			if (n < 1 || n > 9)
				return KP_ERR_INVALID;
		}
		if (*p == 'Z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p == '+' ? 1 : -1;
			if ((oh = digits(p + 1, 2)) < 0 || p[3] != ':' ||
			    (om = digits(p + 4, 2)) < 0 || oh > 23 || om > 59)
				return KP_ERR_INVALID;
			p += 6;
		}
	}
	if (*p != '\0')
		return KP_ERR_INVALID;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	    sign * (oh * 3600 + om * 60);
	return 0;
}

int
kp_time_in_range(int64_t t)
{
	struct kp_civil c;

	kp_time_civil(t, &c);
	return c.year >= KP_TIME_YEAR_MIN && c.year <= KP_TIME_YEAR_MAX;
}

int
kp_now(int64_t *out)
{
	struct timespec ts;

	*out = 0;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || ts.tv_sec <= 0)
		return KP_ERR_IO;
	*out = (int64_t)ts.tv_sec;
	return KP_OK;
}

void
kp_time_format(int64_t t, char *buf, size_t len)
{
	struct kp_civil c;

	if (buf == NULL || len == 0)
		return;
	kp_time_civil(t, &c);
	snprintf(buf, len, "%04lld-%02d-%02dT%02d:%02d:%02dZ",
	    (long long)c.year, c.mon, c.mday, c.hour, c.min, c.sec);
}
