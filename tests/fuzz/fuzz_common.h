/*
 * fuzz_common — helpers shared by the libFuzzer harnesses in tests/fuzz.
 *
 * Each harness feeds one parser of outside input and, where the parser has a
 * documented round trip (parse ∘ format = identity, all-or-nothing merge, sign
 * then verify), checks it with FUZZ_CHECK: a broken promise aborts like a
 * sanitizer report, so libFuzzer saves the input as a crash.
 */
#ifndef TQ_FUZZ_COMMON_H
#define TQ_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond, ...)                                                        \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s: ", __FILE__, \
				__LINE__, #cond);                                     \
			fprintf(stderr, __VA_ARGS__);                                \
			fputc('\n', stderr);                                         \
			abort();                                                     \
		}                                                                    \
	} while (0)

/* NUL-terminated copy of the input, or NULL when it contains a NUL byte (the
 * C-string parsers never see one: the server's strings come from jansson,
 * which refuses "\u0000" in keys and stops C strings at the first NUL). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	if (memchr(data, 0, size))
		return NULL;
	char *s = malloc(size + 1);
	if (!s)
		return NULL;
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
