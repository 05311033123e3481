/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Every record of a cdb file, in file order, handed to a callback: for
 * the tests that read or rewrite compiled indexes whole (index-access.h,
 * core/test_index.c, admin/test_login_records.c). The key and value
 * point into the file's mapping and are valid during the call only.
 */
#ifndef TEST_CDB_WALK_H
#define TEST_CDB_WALK_H

#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

#include <cdb.h>

typedef int (*t_cdb_fn)(const uint8_t *k, unsigned klen, const uint8_t *v,
    unsigned vlen, void *arg);

/*
 * 0 when fn saw every record; -1 when path cannot be read as a cdb or a
 * record cannot be read or has an empty key; else the non-zero value fn
 * returned, which stops the walk.
 */
static int
t_cdb_walk(const char *path, t_cdb_fn fn, void *arg)
{
	struct cdb cdb;
	const uint8_t *k, *v;
	unsigned pos, klen, vlen;
	int fd, r;

	if ((fd = open(path, O_RDONLY)) < 0)
		return -1;
	if (cdb_init(&cdb, fd) != 0) {
		close(fd);
		return -1;
	}
	cdb_seqinit(&pos, &cdb);
	while ((r = cdb_seqnext(&pos, &cdb)) > 0) {
		klen = cdb_keylen(&cdb);
		vlen = cdb_datalen(&cdb);
		k = cdb_get(&cdb, klen, cdb_keypos(&cdb));
		v = cdb_get(&cdb, vlen, cdb_datapos(&cdb));
		if (k == NULL || v == NULL || klen == 0) {
			r = -1;
			break;
		}
		if ((r = fn(k, klen, v, vlen, arg)) != 0)
			break;
	}
	cdb_free(&cdb);
	close(fd);
	return r;
}

#endif
