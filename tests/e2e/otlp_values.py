"""An independent Python statement of the conversion rules of DESIGN §3, used to compute the
values a test expects to read back (never the C code's own output)."""

import base64
import json
import math


def double_text(x):
    """Shortest %.Ng text that reads back as the same double; NaN and infinities by name."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    for p in range(1, 18):
        s = "%.*g" % (p, x)
        if float(s) == x and (x != 0 or math.copysign(1, float(s)) == math.copysign(1, x)):
            return s
    return "%.17g" % x


def anyvalue_json(v):
    """AnyValue (opentelemetry.proto.common.v1.AnyValue) -> a Python JSON value."""
    kind = v.WhichOneof("value")
    if kind is None:
        return None
    if kind == "string_value":
        return v.string_value
    if kind == "bool_value":
        return v.bool_value
    if kind == "int_value":
        return v.int_value
    if kind == "double_value":
        d = v.double_value
        return d if math.isfinite(d) else double_text(d)
    if kind == "bytes_value":
        return base64.b64encode(v.bytes_value).decode()
    if kind == "array_value":
        return [anyvalue_json(x) for x in v.array_value.values]
    if kind == "kvlist_value":
        out = {}
        for kv in v.kvlist_value.values:
            out[kv.key] = anyvalue_json(kv.value)
        return out
    raise AssertionError(kind)


def anyvalue_text(v):
    """AnyValue -> the text stored in a string column or a map value (None when empty)."""
    kind = v.WhichOneof("value")
    if kind is None:
        return None
    if kind == "string_value":
        return v.string_value
    if kind == "bool_value":
        return "true" if v.bool_value else "false"
    if kind == "int_value":
        return str(v.int_value)
    if kind == "double_value":
        return double_text(v.double_value)
    if kind == "bytes_value":
        return base64.b64encode(v.bytes_value).decode()
    return json.dumps(anyvalue_json(v), separators=(",", ":"), ensure_ascii=False)


def attrs_map(kvs):
    """Repeated KeyValue -> list of (key, text) pairs: the last duplicate wins, at the first's place."""
    out = {}
    for kv in kvs:
        out[kv.key] = anyvalue_text(kv.value) if kv.HasField("value") else None
    return list(out.items())


def comparable_text(s):
    """Text of an array/kvlist is compared as parsed JSON (escaping may differ legitimately)."""
    if isinstance(s, str) and s[:1] in ("[", "{"):
        try:
            return ("json", json.dumps(json.loads(s), sort_keys=False))
        except ValueError:
            pass
    return s


def comparable_map(pairs):
    return [(k, comparable_text(v)) for k, v in pairs]


def hexid(b):
    return b.hex()


def service_name(resource):
    for kv in reversed(list(resource.attributes)):
        if kv.key == "service.name":
            return anyvalue_text(kv.value)
    return "unknown_service"
