/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * The PAM handoff record parser (kp_handoff_parse): the spool file a
 * compromised or buggy writer, or a full disk, may leave half written.
 *
 * Properties: a record that parses has valid fields, formats back to
 * exactly the input bytes (one spelling per record, so nothing is ever
 * read differently by two readers), and kp_handoff_check accepts it only
 * for its own pid, start time and account inside the grace window.
 */

#include <stdint.h>

#include "fuzz.h"
#include "keyauth.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kp_handoff h, z;
	char buf[1024];
	const char *why;
	int r;

	memset(&h, 0x5a, sizeof(h));
	r = kp_handoff_parse((const char *)data, size, &h);
	if (r != 0) {
		/* a failed parse leaves nothing usable behind */
		memset(&z, 0, sizeof(z));
		FZ_ASSERT(memcmp(&h, &z, sizeof(h)) == 0);
		return 0;
	}
	FZ_ASSERT(h.pid > 0 && h.time >= 0);
	FZ_ASSERT(kp_account_valid(h.account));
	FZ_ASSERT(kp_fingerprint_valid(h.fp));
	FZ_ASSERT(kp_id_valid(h.entry_id));
	FZ_ASSERT(kp_handoff_format(&h, buf, sizeof(buf)) == 0);
	FZ_ASSERT(strlen(buf) == size && memcmp(buf, data, size) == 0);

	why = NULL;
	FZ_ASSERT(kp_handoff_check(
	              &h, h.pid, h.start, h.account, h.time, 120, &why) == 0);
	if (h.time <= INT64_MAX - 121)
		FZ_ASSERT(kp_handoff_check(&h, h.pid, h.start, h.account,
		              h.time + 121, 120, &why) != 0);
	FZ_ASSERT(kp_handoff_check(&h, h.pid == 1 ? 2 : 1, h.start, h.account,
	              h.time, 120, &why) != 0);
	FZ_ASSERT(kp_handoff_check(&h, h.pid, h.start + 1, h.account, h.time,
	              120, &why) != 0);
	FZ_ASSERT(kp_handoff_check(&h, h.pid, h.start,
	              strcmp(h.account, "root") == 0 ? "alice" : "root", h.time,
	              120, &why) != 0);
	return 0;
}
