/* Hex text for trace and span ids (DESIGN §3: lowercase hex, empty when absent). */
#ifndef OTLP2PARQUET_UTIL_HEX_H
#define OTLP2PARQUET_UTIL_HEX_H

#include <stddef.h>

/* Writes 2*n lowercase hex digits of in to out (no terminating NUL). */
void hex_encode(char *out, const void *in, size_t n);

/* Decodes n hex digits (either case; n must be even) into n/2 bytes at out.
 * Returns 0, or -1 when n is odd or a character is not a hex digit (out is then undefined). */
int hex_decode(void *out, const char *in, size_t n);

#endif
