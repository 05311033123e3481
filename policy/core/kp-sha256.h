/*
 * SHA-256 (FIPS 180-4) for the login path, inside libkeyauth only.
 *
 * The helper and pam_keyauth.so need SHA-256 for key fingerprints and the
 * index record checks, and nothing else of OpenSSL: loading, relocating
 * and initialising libcrypto cost ten times what the lookup itself does
 * (docs/performance.md). tests/unit/test_sha256 compares this code with
 * OpenSSL on many inputs and split points. The install path (load.c)
 * keeps OpenSSL's digest, which is faster on large files.
 */
#ifndef KP_SHA256_H
#define KP_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define KP_SHA256_LEN 32

struct kp_sha256 {
	uint32_t h[8];
	uint64_t total; /* bytes hashed so far */
	uint8_t buf[64];
	size_t n; /* bytes waiting in buf */
};

void kp_sha256_init(struct kp_sha256 *c);
void kp_sha256_update(struct kp_sha256 *c, const void *p, size_t n);
/* Writes the digest and wipes the context. */
void kp_sha256_final(struct kp_sha256 *c, uint8_t md[KP_SHA256_LEN]);
void kp_sha256(const void *p, size_t n, uint8_t md[KP_SHA256_LEN]);

/*
 * 1 if the uncompressed coordinates x, y (big-endian, fieldlen bytes each;
 * fieldlen 32, 48 or 66 for nistp256/384/521) are a point of that curve:
 * both below the field prime and y^2 = x^3 - 3x + b. Otherwise 0 (also
 * for any other fieldlen). Public data only: not constant time.
 */
int kp_ec_point_valid(size_t fieldlen, const uint8_t *x, const uint8_t *y);

#endif /* KP_SHA256_H */
