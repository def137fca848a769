/* Numbers as text: the int and double conventions of DESIGN §3 (int decimal, double shortest
 * round-trip text), shared by attribute values, bodies and JSON text. */
#ifndef OTLP2PARQUET_UTIL_NUMFMT_H
#define OTLP2PARQUET_UTIL_NUMFMT_H

#include <stddef.h>
#include <stdint.h>

#define FMT_INT_MAX 21    /* room for any int64/uint64 and the NUL */
#define FMT_DOUBLE_MAX 32 /* room for any fmt_double output and the NUL */

/* Decimal text; NUL-terminated, returns the length. */
size_t fmt_i64(char *out, int64_t v);
size_t fmt_u64(char *out, uint64_t v);

/* The shortest decimal text that reads back (strtod) as exactly v: the fewest significant
 * digits that round-trip (as the shortest "%.Ng" would find), written in plain notation when
 * the decimal exponent is in -4..15 ("0.1", "100", "-0", "0.0001") and in exponent notation
 * otherwise ("1e+16", "1e-05", "5e-324"), as Python's repr() writes doubles (without its
 * trailing ".0"). Non-finite values are NaN, Infinity and -Infinity. Finite output is also a
 * valid JSON number. NUL-terminated, returns the length.
 * Assumes the "C" locale for LC_NUMERIC (the program never calls setlocale). */
size_t fmt_double(char *out, double v);

#endif
