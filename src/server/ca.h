/*
 * ca — the cell's certificate authority for the TAK gateway (GnuTLS).
 *
 * DIR/ca.pem (self-signed CA certificate, 10 years) and DIR/ca.key (its RSA
 * key, PEM, mode 0600; anything wider is refused) are made by `tansiqd init`,
 * or on the first start with --cot-listen for a data dir made before.
 * Client certificates carry subject CN=<user id>, O=<party> (the CSR's own
 * subject is ignored: the cell decides who a certificate names), a random
 * 128-bit serial, TLS client usage, and are valid for one year. A connection
 * is bound to the user named by CN, looked up in the store at every handshake,
 * so a deleted user's certificate is refused without a revocation list.
 */
#ifndef TQ_CA_H
#define TQ_CA_H

#include <stddef.h>
#include "core/tqerr.h"
#include "core/tqtime.h"

#define CA_CERT_FILE "ca.pem"
#define CA_KEY_FILE "ca.key"
#define CA_CLIENT_VALIDITY_MS (365LL * 86400 * 1000)
/* The password TAK clients expect on data-package keystores (ATAK's default). */
#define CA_P12_PASSWORD "atakatak"

struct ca;

/* Creates DIR/ca.pem and DIR/ca.key unless both exist; *created = 1 when it
 * made them. TQ_EIO when only one exists or a file cannot be written. */
TQ_MUST_USE int ca_ensure(const char *dir, const char *origin, tq_time now, int *created);
/* Loads the CA of DIR. Returns owned; free with ca_free(). */
TQ_MUST_USE int ca_load(const char *dir, struct ca **out);
void ca_free(struct ca *ca);
/* The CA certificate, PEM (borrowed, NUL-terminated). */
const char *ca_cert_pem(const struct ca *ca);

/* A client certificate for user/party over the public key of a PEM PKCS#10
 * request whose self-signature verifies. *pem owned (free()).
 * TQ_EINVALID: not a valid CSR. */
TQ_MUST_USE int ca_issue_csr(struct ca *ca, const char *csr_pem, const char *user, const char *party, tq_time now,
			     char **pem);
/* A fresh RSA key and a certificate signed by the CA: for a client (user,
 * party) when server_name is NULL, else a TLS server certificate for that host
 * name or IP address. *cert_pem and *key_pem owned (free(); the key is wiped). */
TQ_MUST_USE int ca_issue_keypair(struct ca *ca, const char *user, const char *party, const char *server_name,
				 tq_time now, char **cert_pem, char **key_pem);
/* PKCS#12 (DER) with a PEM certificate and key, protected by password; or,
 * with key_pem NULL, a trust store holding only the certificate. *out owned. */
TQ_MUST_USE int ca_pkcs12(const char *cert_pem, const char *key_pem, const char *name, const char *password,
			  unsigned char **out, size_t *len);

/* The subject CN of a DER certificate into out. TQ_EINVALID if it has none. */
TQ_MUST_USE int ca_cert_cn(const void *der, size_t len, char *out, size_t out_len);

#endif
