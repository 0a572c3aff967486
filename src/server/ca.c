#include "server/ca.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/pkcs12.h>
#include <gnutls/x509.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CA_VALIDITY_MS (10LL * 365 * 86400 * 1000)
#define RSA_BITS 2048
#define PEM_MAX (64 * 1024)

struct ca {
	gnutls_x509_crt_t crt;
	gnutls_x509_privkey_t key;
	char *pem;
};

static void path_of(const char *dir, const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", dir, name);
}

/* Writes a new file (O_EXCL) with mode, fsynced. */
static int write_new(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		fprintf(stderr, "tansiqd: cannot create %s: %s\n", path, strerror(errno));
		return TQ_EIO;
	}
	int ok = write(fd, data, len) == (ssize_t)len && fsync(fd) == 0;
	close(fd);
	if (!ok) {
		unlink(path);
		return TQ_EIO;
	}
	return TQ_OK;
}

static char *read_small(const char *path, int secret)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char *buf = NULL;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || st.st_size <= 0 || st.st_size > PEM_MAX || (secret && (st.st_mode & 077))) {
		if (secret && (st.st_mode & 077))
			fprintf(stderr, "tansiqd: %s must have mode 0600\n", path);
		goto done;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf && read(fd, buf, (size_t)st.st_size) != st.st_size) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[st.st_size] = '\0';
done:
	close(fd);
	return buf;
}

static char *datum_string(gnutls_datum_t *d)
{
	char *s = malloc(d->size + 1);
	if (s) {
		memcpy(s, d->data, d->size);
		s[d->size] = '\0';
	}
	gnutls_free(d->data);
	d->data = NULL;
	return s;
}

static int set_serial(gnutls_x509_crt_t crt)
{
	unsigned char serial[16];
	randombytes_buf(serial, sizeof serial);
	serial[0] &= 0x7f; /* positive */
	serial[0] |= 0x01; /* and 16 bytes long */
	return gnutls_x509_crt_set_serial(crt, serial, sizeof serial);
}

static int set_key_ids(gnutls_x509_crt_t crt, gnutls_x509_crt_t issuer)
{
	unsigned char id[64];
	size_t n = sizeof id;
	int rc = gnutls_x509_crt_get_key_id(crt, 0, id, &n);
	if (rc >= 0)
		rc = gnutls_x509_crt_set_subject_key_id(crt, id, n);
	if (rc >= 0 && issuer) {
		n = sizeof id;
		rc = gnutls_x509_crt_get_subject_key_id(issuer, id, &n, NULL);
		if (rc >= 0)
			rc = gnutls_x509_crt_set_authority_key_id(crt, id, n);
	}
	return rc;
}

int ca_ensure(const char *dir, const char *origin, tq_time now, int *created)
{
	char cpath[1200], kpath[1200], dn[256];
	gnutls_x509_crt_t crt = NULL;
	gnutls_x509_privkey_t key = NULL;
	gnutls_datum_t cpem = {0}, kpem = {0};
	int rc = TQ_EIO;

	*created = 0;
	path_of(dir, CA_CERT_FILE, cpath, sizeof cpath);
	path_of(dir, CA_KEY_FILE, kpath, sizeof kpath);
	int have_c = access(cpath, F_OK) == 0, have_k = access(kpath, F_OK) == 0;
	if (have_c && have_k)
		return TQ_OK;
	if (have_c || have_k) {
		fprintf(stderr, "tansiqd: %s has only one of %s and %s\n", dir, CA_CERT_FILE, CA_KEY_FILE);
		return TQ_EIO;
	}
	/* The DN is ours: no user text in it, only the cell's origin. */
	snprintf(dn, sizeof dn, "CN=tansiq cell CA %s,O=tansiq", origin);
	for (char *p = dn; *p; p++)
		if (*p == '+' || *p == ';' || *p == '"' || *p == '\\' || *p == '<' || *p == '>')
			*p = '-';
	if (gnutls_x509_privkey_init(&key) < 0 || gnutls_x509_crt_init(&crt) < 0)
		goto done;
	if (gnutls_x509_privkey_generate(key, GNUTLS_PK_RSA, RSA_BITS, 0) < 0 ||
	    gnutls_x509_crt_set_version(crt, 3) < 0 || gnutls_x509_crt_set_key(crt, key) < 0 ||
	    gnutls_x509_crt_set_dn(crt, dn, NULL) < 0 || set_serial(crt) < 0 ||
	    gnutls_x509_crt_set_activation_time(crt, (time_t)(now / 1000) - 3600) < 0 ||
	    gnutls_x509_crt_set_expiration_time(crt, (time_t)((now + CA_VALIDITY_MS) / 1000)) < 0 ||
	    gnutls_x509_crt_set_basic_constraints(crt, 1, 0) < 0 ||
	    gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN) < 0 ||
	    set_key_ids(crt, NULL) < 0 || gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) < 0)
		goto done;
	if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cpem) < 0 ||
	    gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &kpem) < 0)
		goto done;
	if (write_new(kpath, kpem.data, kpem.size, 0600))
		goto done;
	if (write_new(cpath, cpem.data, cpem.size, 0644)) {
		unlink(kpath);
		goto done;
	}
	*created = 1;
	rc = TQ_OK;
done:
	if (kpem.data) {
		sodium_memzero(kpem.data, kpem.size);
		gnutls_free(kpem.data);
	}
	gnutls_free(cpem.data);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
	return rc;
}

void ca_free(struct ca *ca)
{
	if (!ca)
		return;
	gnutls_x509_crt_deinit(ca->crt);
	gnutls_x509_privkey_deinit(ca->key);
	free(ca->pem);
	free(ca);
}

int ca_load(const char *dir, struct ca **out)
{
	char cpath[1200], kpath[1200];
	struct ca *ca = calloc(1, sizeof *ca);
	char *kpem = NULL;
	int rc = TQ_EIO;

	*out = NULL;
	if (!ca)
		return TQ_ENOMEM;
	path_of(dir, CA_CERT_FILE, cpath, sizeof cpath);
	path_of(dir, CA_KEY_FILE, kpath, sizeof kpath);
	ca->pem = read_small(cpath, 0);
	kpem = read_small(kpath, 1);
	if (!ca->pem || !kpem) {
		fprintf(stderr, "tansiqd: cannot read the cell CA (%s, %s)\n", cpath, kpath);
		goto done;
	}
	gnutls_datum_t c = {(unsigned char *)ca->pem, (unsigned)strlen(ca->pem)};
	gnutls_datum_t k = {(unsigned char *)kpem, (unsigned)strlen(kpem)};
	if (gnutls_x509_crt_init(&ca->crt) < 0 || gnutls_x509_privkey_init(&ca->key) < 0 ||
	    gnutls_x509_crt_import(ca->crt, &c, GNUTLS_X509_FMT_PEM) < 0 ||
	    gnutls_x509_privkey_import(ca->key, &k, GNUTLS_X509_FMT_PEM) < 0) {
		fprintf(stderr, "tansiqd: the cell CA in %s is unreadable\n", dir);
		goto done;
	}
	*out = ca;
	ca = NULL;
	rc = TQ_OK;
done:
	if (kpem) {
		sodium_memzero(kpem, strlen(kpem));
		free(kpem);
	}
	ca_free(ca);
	return rc;
}

const char *ca_cert_pem(const struct ca *ca)
{
	return ca->pem;
}

/* Subject, validity, usage and signature of a leaf certificate whose public
 * key is already set. */
static int sign_leaf(struct ca *ca, gnutls_x509_crt_t crt, const char *user, const char *party,
		     const char *server_name, tq_time now)
{
	int rc;
	if ((rc = gnutls_x509_crt_set_version(crt, 3)) < 0)
		return rc;
	if (server_name) {
		rc = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, server_name,
						   (unsigned)strlen(server_name));
		unsigned char ip[16];
		if (rc >= 0 && inet_pton(AF_INET, server_name, ip) == 1)
			rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, 4, GNUTLS_FSAN_SET);
		else if (rc >= 0 && inet_pton(AF_INET6, server_name, ip) == 1)
			rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, 16, GNUTLS_FSAN_SET);
		else if (rc >= 0)
			rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, server_name,
								  (unsigned)strlen(server_name), GNUTLS_FSAN_SET);
		if (rc >= 0)
			rc = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0);
	} else {
		/* By OID, not by a DN string: the values need no escaping. */
		rc = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, user, (unsigned)strlen(user));
		if (rc >= 0 && party && party[0])
			rc = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0, party,
							   (unsigned)strlen(party));
		if (rc >= 0)
			rc = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_CLIENT, 0);
	}
	if (rc >= 0)
		rc = set_serial(crt);
	if (rc >= 0)
		rc = gnutls_x509_crt_set_activation_time(crt, (time_t)(now / 1000) - 300);
	if (rc >= 0)
		rc = gnutls_x509_crt_set_expiration_time(crt, (time_t)((now + CA_CLIENT_VALIDITY_MS) / 1000));
	if (rc >= 0)
		rc = gnutls_x509_crt_set_basic_constraints(crt, 0, -1);
	if (rc >= 0)
		rc = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_KEY_ENCIPHERMENT);
	if (rc >= 0)
		rc = set_key_ids(crt, ca->crt);
	if (rc >= 0)
		rc = gnutls_x509_crt_sign2(crt, ca->crt, ca->key, GNUTLS_DIG_SHA256, 0);
	return rc;
}

int ca_issue_csr(struct ca *ca, const char *csr_pem, const char *user, const char *party, tq_time now, char **pem)
{
	gnutls_x509_crq_t crq = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t out = {0};
	int rc = TQ_EINVALID;

	*pem = NULL;
	if (!csr_pem || strlen(csr_pem) > PEM_MAX)
		return TQ_EINVALID;
	gnutls_datum_t in = {(unsigned char *)csr_pem, (unsigned)strlen(csr_pem)};
	if (gnutls_x509_crq_init(&crq) < 0 || gnutls_x509_crt_init(&crt) < 0 || gnutls_pubkey_init(&pub) < 0) {
		rc = TQ_ENOMEM;
		goto done;
	}
	/* The request's self-signature proves the caller holds the key. */
	if (gnutls_x509_crq_import(crq, &in, GNUTLS_X509_FMT_PEM) < 0 || gnutls_x509_crq_verify(crq, 0) < 0 ||
	    gnutls_pubkey_import_x509_crq(pub, crq, 0) < 0)
		goto done;
	rc = TQ_EIO;
	if (gnutls_x509_crt_set_pubkey(crt, pub) < 0 || sign_leaf(ca, crt, user, party, NULL, now) < 0 ||
	    gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &out) < 0)
		goto done;
	*pem = datum_string(&out);
	rc = *pem ? TQ_OK : TQ_ENOMEM;
done:
	gnutls_pubkey_deinit(pub);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_crq_deinit(crq);
	return rc;
}

int ca_issue_keypair(struct ca *ca, const char *user, const char *party, const char *server_name, tq_time now,
		     char **cert_pem, char **key_pem)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t c = {0}, k = {0};
	int rc = TQ_EIO;

	*cert_pem = *key_pem = NULL;
	if (gnutls_x509_privkey_init(&key) < 0 || gnutls_x509_crt_init(&crt) < 0)
		goto done;
	if (gnutls_x509_privkey_generate(key, GNUTLS_PK_RSA, RSA_BITS, 0) < 0 ||
	    gnutls_x509_crt_set_key(crt, key) < 0 || sign_leaf(ca, crt, user, party, server_name, now) < 0 ||
	    gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &c) < 0 ||
	    gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &k) < 0)
		goto done;
	*cert_pem = datum_string(&c);
	*key_pem = malloc(k.size + 1);
	if (*key_pem) {
		memcpy(*key_pem, k.data, k.size);
		(*key_pem)[k.size] = '\0';
	}
	rc = *cert_pem && *key_pem ? TQ_OK : TQ_ENOMEM;
	if (rc) {
		free(*cert_pem);
		free(*key_pem);
		*cert_pem = *key_pem = NULL;
	}
done:
	if (k.data) {
		sodium_memzero(k.data, k.size);
		gnutls_free(k.data);
	}
	gnutls_free(c.data);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
	return rc;
}

int ca_pkcs12(const char *cert_pem, const char *key_pem, const char *name, const char *password,
	      unsigned char **out, size_t *len)
{
	gnutls_pkcs12_t p12 = NULL;
	gnutls_pkcs12_bag_t cbag = NULL, kbag = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_x509_privkey_t key = NULL;
	gnutls_datum_t der = {0}, kder = {0};
	unsigned char id[64];
	size_t idlen = sizeof id;
	int rc = TQ_EIO, idx;

	*out = NULL;
	*len = 0;
	gnutls_datum_t c = {(unsigned char *)cert_pem, (unsigned)strlen(cert_pem)};
	if (gnutls_pkcs12_init(&p12) < 0 || gnutls_pkcs12_bag_init(&cbag) < 0 || gnutls_x509_crt_init(&crt) < 0 ||
	    gnutls_x509_crt_import(crt, &c, GNUTLS_X509_FMT_PEM) < 0 ||
	    gnutls_x509_crt_get_key_id(crt, 0, id, &idlen) < 0)
		goto done;
	gnutls_datum_t keyid = {id, (unsigned)idlen};
	if ((idx = gnutls_pkcs12_bag_set_crt(cbag, crt)) < 0 ||
	    gnutls_pkcs12_bag_set_friendly_name(cbag, idx, name) < 0 ||
	    (key_pem && gnutls_pkcs12_bag_set_key_id(cbag, idx, &keyid) < 0) ||
	    gnutls_pkcs12_bag_encrypt(cbag, password, GNUTLS_PKCS_PKCS12_3DES) < 0 ||
	    gnutls_pkcs12_set_bag(p12, cbag) < 0)
		goto done;
	if (key_pem) {
		gnutls_datum_t k = {(unsigned char *)key_pem, (unsigned)strlen(key_pem)};
		if (gnutls_pkcs12_bag_init(&kbag) < 0 || gnutls_x509_privkey_init(&key) < 0 ||
		    gnutls_x509_privkey_import(key, &k, GNUTLS_X509_FMT_PEM) < 0 ||
		    gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_DER, password, GNUTLS_PKCS_PKCS12_3DES,
						      &kder) < 0 ||
		    (idx = gnutls_pkcs12_bag_set_data(kbag, GNUTLS_BAG_PKCS8_ENCRYPTED_KEY, &kder)) < 0 ||
		    gnutls_pkcs12_bag_set_friendly_name(kbag, idx, name) < 0 ||
		    gnutls_pkcs12_bag_set_key_id(kbag, idx, &keyid) < 0 || gnutls_pkcs12_set_bag(p12, kbag) < 0)
			goto done;
	}
	if (gnutls_pkcs12_generate_mac2(p12, GNUTLS_MAC_SHA1, password) < 0 ||
	    gnutls_pkcs12_export2(p12, GNUTLS_X509_FMT_DER, &der) < 0)
		goto done;
	*out = malloc(der.size);
	if (!*out) {
		rc = TQ_ENOMEM;
		goto done;
	}
	memcpy(*out, der.data, der.size);
	*len = der.size;
	rc = TQ_OK;
done:
	if (kder.data) {
		sodium_memzero(kder.data, kder.size);
		gnutls_free(kder.data);
	}
	gnutls_free(der.data);
	gnutls_x509_privkey_deinit(key);
	gnutls_x509_crt_deinit(crt);
	if (kbag)
		gnutls_pkcs12_bag_deinit(kbag);
	if (cbag)
		gnutls_pkcs12_bag_deinit(cbag);
	if (p12)
		gnutls_pkcs12_deinit(p12);
	return rc;
}

int ca_cert_cn(const void *der, size_t len, char *out, size_t out_len)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t d = {(unsigned char *)der, (unsigned)len};
	size_t n = out_len;
	int rc = TQ_EINVALID;
	if (gnutls_x509_crt_init(&crt) < 0)
		return TQ_ENOMEM;
	if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) >= 0 &&
	    gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, out, &n) >= 0 && n > 0 &&
	    strlen(out) == n)
		rc = TQ_OK;
	gnutls_x509_crt_deinit(crt);
	return rc;
}
