/* The Avro encoder against known byte strings of the Avro spec, and OCF round trips through our
 * own reader (null and deflate codecs), plus garbage the reader must refuse. */
#include "avro/avro_read.h"
#include "avro/avro_write.h"
#include "check.h"

TEST(zigzag_varints)
{
    static const struct { int64_t v; const char *enc; size_t n; } cases[] = {
        {0, "\x00", 1}, {-1, "\x01", 1}, {1, "\x02", 1}, {-64, "\x7f", 1}, {64, "\x80\x01", 2},
        {INT64_MAX, "\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10}, {INT64_MIN, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        buf_t b = {0};
        CHECK(avro_put_long(&b, cases[i].v) == 0);
        CHECK_EQ_MEM(b.data, b.len, cases[i].enc, cases[i].n);
        buf_free(&b);
    }
}

TEST(primitives)
{
    buf_t b = {0};
    CHECK(avro_put_string(&b, "foo") == 0 && avro_put_bool(&b, 1) == 0 && avro_put_double(&b, 1.0) == 0 &&
          avro_put_float(&b, 1.0f) == 0 && avro_put_union(&b, 1) == 0 && avro_put_fixed(&b, "ab", 2) == 0);
    CHECK_EQ_MEM(b.data, b.len, "\x06" "foo" "\x01" "\x00\x00\x00\x00\x00\x00\xf0\x3f" "\x00\x00\x80\x3f" "\x02" "ab", 20);
    buf_free(&b);
}

static const char schema[] = "{\"type\":\"record\",\"name\":\"r\",\"fields\":["
                             "{\"name\":\"id\",\"type\":\"long\",\"field-id\":7},"
                             "{\"name\":\"s\",\"type\":[\"null\",\"string\"]},"
                             "{\"name\":\"xs\",\"type\":{\"type\":\"array\",\"items\":\"double\",\"element-id\":9}},"
                             "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"int\"}}]}";

static void roundtrip(avro_codec_t codec, int nrec)
{
    buf_t out = {0};
    err_t err;
    avro_ocf_writer_t w;
    const char *k[] = {"mykey"}, *v[] = {"myval"};
    CHECK(avro_ocf_begin(&w, &out, schema, codec, 1, k, v, &err) == 0);
    for (int i = 0; i < nrec; i++) {
        buf_t *d = &w.datum;
        avro_put_long(d, i * 1000003LL - 5);
        if (i % 3)
            avro_put_union(d, 1), avro_put_string(d, "héllo");
        else
            avro_put_union(d, 0);
        avro_put_block(d, 2), avro_put_double(d, i + 0.5), avro_put_double(d, -i), avro_put_block(d, 0);
        avro_put_block(d, 1), avro_put_string(d, "key"), avro_put_int(d, -i), avro_put_block(d, 0);
        CHECK(avro_ocf_next(&w, &err) == 0);
    }
    CHECK(avro_ocf_end(&w, &err) == 0);
    CHECK_EQ_MEM(out.data, 4, "Obj\x01", 4);
    avro_reader_t *r;
    CHECK(avro_reader_open(&r, out.data, out.len, NULL, &err) == 0);
    size_t n;
    const uint8_t *mv = avro_reader_meta(r, "mykey", &n);
    CHECK(mv && n == 5 && memcmp(mv, "myval", 5) == 0);
    mv = avro_reader_meta(r, "avro.codec", &n);
    CHECK(mv && n == (codec ? 7u : 4u));
    const avro_schema_t *s = avro_reader_schema(r);
    CHECK(s->type == AVRO_RECORD && s->n == 4 && s->fields[0].field_id == 7 && s->fields[2].type->element_id == 9);
    const avro_value_t *rec;
    int i = 0, rc;
    while ((rc = avro_reader_next(r, &rec, &err)) == 1) {
        CHECK_EQ_INT(avro_field_by_id(rec, 7)->l, i * 1000003LL - 5);
        const avro_value_t *sv = avro_field(rec, "s");
        if (i % 3)
            CHECK(sv->type == AVRO_STRING && sv->branch == 1 && sv->bytes.n == 6 && memcmp(sv->bytes.p, "héllo", 6) == 0);
        else
            CHECK(sv->type == AVRO_NULL && sv->branch == 0);
        const avro_value_t *xs = avro_field(rec, "xs");
        CHECK(xs->n == 2 && xs->items[0].d == i + 0.5 && xs->items[1].d == -i);
        const avro_value_t *m = avro_field(rec, "m");
        CHECK(m->n == 1 && m->keys[0].n == 3 && m->items[0].l == -i);
        i++;
    }
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(i, nrec);
    avro_reader_close(r);
    buf_free(&out);
}

TEST(ocf_roundtrip_null) { roundtrip(AVRO_CODEC_NULL, 10); }
TEST(ocf_roundtrip_deflate_many_blocks) { roundtrip(AVRO_CODEC_DEFLATE, 20000); }

TEST(garbage_refused)
{
    err_t err;
    avro_reader_t *r;
    CHECK(avro_reader_open(&r, (const uint8_t *)"Obj\x02", 4, NULL, &err) == -1 && err.code == ERR_INVALID);
    CHECK(avro_reader_open(&r, (const uint8_t *)"Obj\x01\x7f", 5, NULL, &err) == -1);
    /* a well-formed header whose schema is not JSON */
    buf_t b = {0};
    avro_ocf_writer_t w;
    CHECK(avro_ocf_begin(&w, &b, "{nope", AVRO_CODEC_NULL, 0, NULL, NULL, &err) == 0);
    avro_ocf_abort(&w);
    CHECK(avro_reader_open(&r, b.data, b.len, NULL, &err) == -1 && err.code == ERR_INVALID);
    buf_clear(&b);
    /* a block that claims more data than there is */
    CHECK(avro_ocf_begin(&w, &b, "\"long\"", AVRO_CODEC_NULL, 0, NULL, NULL, &err) == 0);
    avro_ocf_abort(&w);
    avro_put_long(&b, 1), avro_put_long(&b, 1000);
    CHECK(avro_reader_open(&r, b.data, b.len, NULL, &err) == 0);
    const avro_value_t *v;
    CHECK(avro_reader_next(r, &v, &err) == -1 && err.code == ERR_INVALID);
    avro_reader_close(r);
    buf_free(&b);
}

RUN_TESTS(T(zigzag_varints), T(primitives), T(ocf_roundtrip_null), T(ocf_roundtrip_deflate_many_blocks), T(garbage_refused))
