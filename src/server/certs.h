/*
 * certs — client certificates and TAK data packages (api_certs.c):
 *   POST /v1/users/{id}/certificate  {"csr": PEM} → 201 {"certificate", "ca"}
 *   GET  /v1/users/{id}/tak-package  → application/zip (cert/<name>.p12 with a
 *        fresh key and certificate, cert/truststore-tansiq.p12 with the cell CA,
 *        cert/tansiq.pref naming the CoT address, MANIFEST/manifest.xml)
 * Cell admin only. The cell admin itself gets no certificate (it has no party).
 */
#ifndef TQ_CERTS_H
#define TQ_CERTS_H

#include <stddef.h>
#include "server/app.h"

/* The CoT address written into data packages ("HOST:PORT"); NULL: no
 * gateway, and tak-package answers 409. Set once at start (not thread-safe). */
void certs_configure(const char *cot_address);

/* A TAK data package for user (a fresh key, signed by the cell CA, which is
 * created if missing). *zip owned (free()). TQ_ECONFLICT without a gateway. */
TQ_MUST_USE int certs_tak_package(struct app *a, const char *user_id, const char *user_name, const char *party,
				  tq_time now, unsigned char **zip, size_t *len);

#endif
