/*
 * A few TAP helpers for unit tests, so that prove runs them beside the
 * shell tests.  Each check prints "ok N - name" or "not ok N - name".
 */
#ifndef PH_TAP_H
#define PH_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static void __attribute__((format(printf, 4, 5)))
tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", pass ? "ok" : "not ok", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass) {
		printf("#   failed at %s:%d\n", file, line);
		tap_failed++;
	}
}

#define ok(cond, ...)	tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

/* Byte strings of known length compared, both shown on failure. */
#define is_mem(got, gotlen, exp, ...) do {				\
	const char *is_g_ = (got), *is_e_ = (exp);			\
	size_t is_gl_ = (gotlen), is_el_ = strlen(is_e_);		\
	int is_p_ = is_gl_ == is_el_ && memcmp(is_g_, is_e_, is_el_) == 0; \
	tap_ok(is_p_, __FILE__, __LINE__, __VA_ARGS__);			\
	if (!is_p_)							\
		printf("#   got:      '%.*s'\n#   expected: '%s'\n",	\
		    (int)is_gl_, is_g_, is_e_);				\
} while (0)

#define is_str(got, exp, ...)	is_mem((got), strlen(got), (exp), __VA_ARGS__)

static int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
