/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * Address and CIDR parsing (kp_addr_parse, kp_cidr_parse).
 *
 * Properties, for every input that parses:
 *  - the canonical text parses back to exactly the same value, and
 *    formatting that again gives the same text (one spelling per value);
 *  - a CIDR's host bits are zero and its prefix fits its family;
 *  - kp_cidr_match agrees with a plain bit-by-bit reference, for the
 *    network's own address and for the second half of the input.
 * Every refusal comes with a message.
 */

#include "fuzz.h"
#include "keyauth.h"

static int
ref_match(const struct kp_cidr *net, const struct kp_cidr *a)
{
	unsigned i, bits = net->prefix;

	if (net->family != a->family)
		return 0;
	for (i = 0; i < bits; i++) {
		unsigned byte = i / 8, bit = 7 - i % 8;

		if (((net->addr[byte] >> bit) & 1) !=
		    ((a->addr[byte] >> bit) & 1))
			return 0;
	}
	return 1;
}

static void
check_value(const struct kp_cidr *c, int single)
{
	unsigned max = c->family == 4 ? 32 : 128, i;

	FZ_ASSERT(c->family == 4 || c->family == 6);
	FZ_ASSERT(c->prefix <= max);
	if (single)
		FZ_ASSERT(c->prefix == max);
	/* host bits, and everything past an IPv4 address, are zero */
	for (i = c->prefix; i < 128; i++)
		FZ_ASSERT(((c->addr[i / 8] >> (7 - i % 8)) & 1) == 0);
}

static void
round_trip(const struct kp_cidr *c, int single)
{
	struct kp_cidr again;
	char text[128], text2[128];
	const char *why = NULL;

	check_value(c, single);
	kp_cidr_format(c, text, sizeof(text));
	memset(&again, 0xa5, sizeof(again));
	FZ_ASSERT(kp_cidr_parse(text, &again, &why) == 0);
	FZ_ASSERT(again.family == c->family && again.prefix == c->prefix);
	FZ_ASSERT(memcmp(again.addr, c->addr, sizeof(c->addr)) == 0);
	kp_cidr_format(&again, text2, sizeof(text2));
	FZ_ASSERT(strcmp(text, text2) == 0);
	if (single) {
		FZ_ASSERT(kp_addr_parse(text, &again, &why) == 0);
		FZ_ASSERT(memcmp(again.addr, c->addr, sizeof(c->addr)) == 0);
	}
	/* a short buffer is cut, never overrun, always terminated */
	memset(text2, 'x', sizeof(text2));
	kp_cidr_format(c, text2, 5);
	FZ_ASSERT(strlen(text2) < 5);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kp_cidr net, addr, other;
	const char *why;
	char *s, *second;
	int have_net, have_addr, have_other = 0;

	if (size > 256)
		return 0;
	s = fz_cstr(data, size);
	/* "NET ADDR": the second half feeds the match property */
	if ((second = strchr(s, ' ')) != NULL)
		*second++ = '\0';

	why = NULL;
	have_net = kp_cidr_parse(s, &net, &why) == 0;
	if (have_net)
		round_trip(&net, 0);
	else
		FZ_ASSERT(why != NULL && *why != '\0');
	why = NULL;
	have_addr = kp_addr_parse(s, &addr, &why) == 0;
	if (have_addr) {
		round_trip(&addr, 1);
		/* an address is also a (host) CIDR of the same value */
		FZ_ASSERT(have_net && memcmp(&addr, &net, sizeof(net)) == 0);
	} else {
		FZ_ASSERT(why != NULL && *why != '\0');
	}
	if (second != NULL)
		have_other = kp_addr_parse(second, &other, &why) == 0;
	if (have_net) {
		struct kp_cidr self = net;

		self.prefix = net.family == 4 ? 32 : 128;
		FZ_ASSERT(kp_cidr_match(&net, &self) == 1);
		if (have_other)
			FZ_ASSERT(kp_cidr_match(&net, &other) ==
			    ref_match(&net, &other));
	}
	free(s);
	return 0;
}
