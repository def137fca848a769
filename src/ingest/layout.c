#include "ingest/layout.h"

#include <stdio.h>
#include <string.h>

#include "util/civil_time.h"
#include "util/uuid.h"

/* Long enough for any real service name, short enough that the whole key stays far below
 * the 255-byte limit of one file-name component. */
#define SERVICE_MAX 160

static int safe_byte(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
}

void layout_escape_service(const uint8_t *name, size_t len, char *out, size_t outlen)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t dots = 0;
    while (dots < len && name[dots] == '.')
        dots++;
    int all_dots = len > 0 && dots == len; /* ".", "..", "...": never a literal folder name */
    char tmp[SERVICE_MAX * 3 + 1];
    size_t n = 0;
    int cut = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = name[i];
        size_t need = (safe_byte(c) && !(all_dots && c == '.')) ? 1 : 3;
        if (n + need > SERVICE_MAX) {
            cut = 1;
            break;
        }
        if (need == 1)
            tmp[n++] = (char)c;
        else {
            tmp[n++] = '%';
            tmp[n++] = hex[c >> 4];
            tmp[n++] = hex[c & 15];
        }
    }
    tmp[n] = 0;
    if (cut) {
        /* FNV-1a of the whole name keeps two long names with one prefix apart */
        uint64_t h = 1469598103934665603ULL;
        for (size_t i = 0; i < len; i++)
            h = (h ^ name[i]) * 1099511628211ULL;
        snprintf(out, outlen, "%s~%016llx", tmp, (unsigned long long)h);
    } else
        snprintf(out, outlen, "%s", tmp);
}

void layout_data_key(const char *table, const uint8_t *service, size_t service_len, int64_t ts_micros,
                     const char *id, char *out, size_t outlen)
{
    char esc[SERVICE_MAX + 20];
    layout_escape_service(service, service_len, esc, sizeof esc);
    civil_hour_t c = civil_from_micros(ts_micros);
    char fresh[37];
    if (!id) {
        uuid7_string(fresh);
        id = fresh;
    }
    snprintf(out, outlen, "%s/service=%s/year=%04d/month=%02d/day=%02d/hour=%02d/%s.parquet", table, esc,
             c.year, c.month, c.day, c.hour, id);
}
