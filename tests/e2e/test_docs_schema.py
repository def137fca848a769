"""docs/schema.md is the truth users read: its tables (every column, nested field, type,
required/optional and field id, map key/value and list element ids) must match the schemas in
the code (build/tools/schema_dump prints src/table/tables.c) and the schemas of real files, which
`otlp2parquet convert` writes here from payloads of every signal and every metric kind."""

import os
import random
import re
import subprocess

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import ROOT, TOOLS, run_bin
from otlp_values import TABLES, build_logs_request, build_metrics_request, build_traces_request

DOC = os.path.join(ROOT, "docs", "schema.md")

ARROW_TYPES = {
    "timestamptz": pa.timestamp("us", tz="UTC"), "string": pa.string(), "int": pa.int32(), "long": pa.int64(),
    "double": pa.float64(), "boolean": pa.bool_(),
}


class Field:
    """One documented column or nested field."""

    def __init__(self, fid, name, typ, required, ids):
        self.id, self.name, self.type, self.required, self.ids = fid, name, typ, required, ids
        self.children = []  # struct fields of a list<struct>

    def __repr__(self):
        return f"Field({self.id}, {self.name}, {self.type}, {'required' if self.required else 'optional'}, {self.ids})"


TYPE_RE = re.compile(r"^(?P<type>[a-z]+(?:<[a-z,<>]+>)?), (?P<req>required|optional)(?: \((?P<ids>[^)]*)\))?$")


def parse_type(text):
    m = TYPE_RE.match(text.strip())
    assert m, f"docs/schema.md: cannot read the type {text!r}"
    ids = {}
    if m["ids"]:
        for part in m["ids"].split(","):
            k, v = part.split()
            ids[k] = int(v)
    return m["type"], m["req"] == "required", ids


def parse_doc(path=DOC):
    """{table: [Field]} from the markdown tables under each table's heading."""
    tables = {}
    current = None
    for line in open(path, encoding="utf-8"):
        h = re.match(r"^#{2,3} (\S+)\s*$", line)
        if h:
            current = h[1] if h[1] in TABLES else None
            continue
        if current is None or not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[0].isdigit():
            continue  # header, separator or another table
        fid, name = int(cells[0]), cells[1].strip("`")
        typ, required, ids = parse_type(cells[2])
        fields = tables.setdefault(current, [])
        f = Field(fid, name, typ, required, ids)
        if "." in name:
            parent, child = name.split(".", 1)
            owner = [x for x in fields if x.name == parent]
            assert owner, f"docs/schema.md {current}: {name} comes before its parent"
            f.name = child
            owner[-1].children.append(f)
        else:
            fields.append(f)
    return tables


DOC_TABLES = parse_doc()


def test_every_table_is_documented():
    assert sorted(DOC_TABLES) == sorted(TABLES)


def test_documented_ids_are_unique_per_table():
    for table, fields in DOC_TABLES.items():
        ids = []

        def walk(fs):
            for f in fs:
                ids.append(f.id)
                ids.extend(f.ids.values())
                walk(f.children)

        walk(fields)
        assert len(ids) == len(set(ids)), (table, sorted(ids))
        assert sorted(ids) == list(range(1, len(ids) + 1)), (table, sorted(ids))


# --- the docs against the code ---------------------------------------------------------------


def code_schemas():
    """{table: list of (name, repetition, type, nchildren, id)} from build/tools/schema_dump."""
    exe = os.path.join(TOOLS, "schema_dump")
    out = subprocess.run([exe], capture_output=True, text=True, check=True).stdout
    tables = {}
    for line in out.splitlines():
        t, name, rep, typ, nch, fid = line.split("\t")
        tables.setdefault(t, []).append((name, rep, typ, int(nch), int(fid)))
    return tables


def code_tree(elems):
    """Flat depth-first elements -> [(name, rep, type, id, children)] of the top level."""
    pos = 0

    def take(n):
        nonlocal pos
        out = []
        for _ in range(n):
            name, rep, typ, nch, fid = elems[pos]
            pos += 1
            out.append((name, rep, typ, fid, take(nch)))
        return out

    tree = []
    while pos < len(elems):
        tree.extend(take(1))
    return tree


def doc_as_code(fields):
    """Documented fields in the shape of code_tree, for a single comparison."""
    out = []
    for f in fields:
        rep = "required" if f.required else "optional"
        base = f.type.split("<")[0]
        if base == "map":
            kv = [("key", "required", "string", f.ids["key"], []), ("value", "optional", "string", f.ids["value"], [])]
            out.append((f.name, rep, "map", f.id, [("key_value", "repeated", "group", -1, kv)]))
        elif base == "list":
            inner = f.type[len("list<"):-1]
            if inner == "struct":
                elem = ("element", "required", "struct", f.ids["element"], doc_as_code(f.children))
            else:
                elem = ("element", "required", inner, f.ids["element"], [])
            out.append((f.name, rep, "list", f.id, [("list", "repeated", "group", -1, [elem])]))
        else:
            out.append((f.name, rep, f.type, f.id, []))
    return out


@pytest.mark.parametrize("table", TABLES)
def test_docs_match_the_code(table):
    code = code_tree(code_schemas()[table])
    doc = doc_as_code(DOC_TABLES[table])
    assert [c[0] for c in doc] == [c[0] for c in code], "top-level columns differ"
    for d, c in zip(doc, code):
        assert d == c, f"{table}.{c[0]}:\n docs {d}\n code {c}"


# --- the docs against real files -------------------------------------------------------------


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """Files of every table, written by `otlp2parquet convert` from one payload per signal. The
    input file names say the signal, so no --signal flag is needed."""
    tmp = tmp_path_factory.mktemp("schema")
    rng = random.Random(11)
    payloads = {"logs": build_logs_request(60, rng), "traces": build_traces_request(60, rng),
                "metrics": build_metrics_request(rng, points=4)}
    out = tmp / "out"
    results = {}
    for sig, req in payloads.items():
        src = tmp / f"{sig}.pb"
        src.write_bytes(req.SerializeToString())
        p = run_bin(["convert", "-o", str(out), str(src)])
        results[sig] = p
    return out, results


def arrow_type(f):
    """The Arrow type a documented field must read back as."""
    base = f.type.split("<")[0]
    if base == "map":
        return pa.map_(pa.field("key", pa.string(), nullable=False), pa.field("value", pa.string()))
    if base == "list":
        inner = f.type[len("list<"):-1]
        if inner == "struct":
            st = pa.struct([pa.field(c.name, arrow_type(c), nullable=not c.required) for c in f.children])
            return pa.list_(pa.field("element", st, nullable=False))
        return pa.list_(pa.field("element", ARROW_TYPES[inner], nullable=False))
    return ARROW_TYPES[f.type]


def field_id(field):
    md = field.metadata or {}
    assert b"PARQUET:field_id" in md, f"{field.name} has no field_id"
    return int(md[b"PARQUET:field_id"])


def check_field(path, actual, doc):
    """actual: a pyarrow Field read from the file; doc: the documented Field."""
    assert actual.name == doc.name, path
    assert actual.type == arrow_type(doc), f"{path}: {actual.type} in the file, {arrow_type(doc)} in the docs"
    assert actual.nullable == (not doc.required), f"{path}: nullable={actual.nullable} in the file"
    assert field_id(actual) == doc.id, f"{path}: field id {field_id(actual)} in the file, {doc.id} in the docs"
    t = actual.type
    if pa.types.is_map(t):
        assert field_id(t.key_field) == doc.ids["key"], f"{path}: map key id"
        assert field_id(t.item_field) == doc.ids["value"], f"{path}: map value id"
    elif pa.types.is_list(t):
        assert field_id(t.value_field) == doc.ids["element"], f"{path}: list element id"
        if pa.types.is_struct(t.value_type):
            kids = list(t.value_type)
            assert [k.name for k in kids] == [c.name for c in doc.children], path
            for k, c in zip(kids, doc.children):
                check_field(f"{path}.{c.name}", k, c)


@pytest.mark.parametrize("table", TABLES)
def test_docs_match_written_files(table, written):
    out, results = written
    sig = "metrics" if table.startswith("metrics_") else table
    p = results[sig]
    assert p.returncode == 0, f"convert {sig}.pb failed:\n{p.stderr}"
    files = sorted(out.glob(f"{table}/**/*.parquet"))
    assert files, f"no {table} files written"
    schemas = {str(pq.read_schema(f)) for f in files}
    assert len(schemas) == 1, f"{table}: files with different schemas"
    schema = pq.read_schema(files[0])
    doc = DOC_TABLES[table]
    assert schema.names == [f.name for f in doc], f"{table}: columns in the file {schema.names}"
    for actual, d in zip(schema, doc):
        check_field(f"{table}.{d.name}", actual, d)
