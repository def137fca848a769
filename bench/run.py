#!/usr/bin/env python3
"""`make bench`: otlp2parquet (this C program) against the upstream Rust otlp2parquet 0.12.0.

Environment (the Makefile passes them on):
  BENCH_SCALE        workload size, 1 = 200 logs / 100 traces / 100 metrics requests of 512 records
  BENCH_REPEAT       runs of each measurement; the one with the fewest CPU-seconds is kept (2)
  BENCH_CONNS        load generator connections (4)
  BENCH_BATCH_ROWS   BATCH_MAX_ROWS on both servers (25600); BATCH_MAX_BYTES 128 MiB and
                     BATCH_MAX_AGE_SECS 10 on both
  BENCH_SERVER_CPUS  CPUs the servers and `convert` are pinned to (taskset), "0"; the load
  BENCH_CLIENT_CPUS  generator gets the other one ("1"; the same CPU on a 1-CPU machine)
  BENCH_UPSTREAM     the upstream binary (default $OTLP2PARQUET_CACHE/rust-otlp2parquet/bin/otlp2parquet);
                     "none" skips it
  BENCH_WORKLOADS    server workloads, comma separated (default: every signal x encoding)
  BENCH_CONVERT      the inputs `convert` is timed on (default pb,pb.gz,json,json.gz; pb is needed)
  BENCH_NAME         the results' file name in bench/results (default latest)
  BENCH_LAMBDA       the program to time as a Lambda function (default build/otlp2parquet)

CPU-seconds are utime+stime of the server process from the kernel: /proc/PID/stat once it
answers /health (start-up excluded), and wait4()'s rusage after it exited (so the shutdown
flush counts). Peak RSS is VmHWM of /proc/PID/status, read every 5 ms until the process exits. Output is the
Parquet bytes under the output folder after the process exited, rows read from the footers.
Writes bench/results/latest.json and latest.png and prints a table.
"""
import glob
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import lambda_bench  # noqa: E402
import png_chart  # noqa: E402

CACHE = os.environ.get("OTLP2PARQUET_CACHE", os.path.expanduser("~/.cache/otlp2parquet"))
OURS = os.path.join(ROOT, "build", "otlp2parquet")
LOADGEN = os.path.join(ROOT, "build", "bench", "loadgen")
UPSTREAM = os.environ.get("BENCH_UPSTREAM") or os.path.join(CACHE, "rust-otlp2parquet", "bin", "otlp2parquet")
# bench/results/{RESULT_NAME}.json, .txt, .png
RESULT_NAME = os.environ.get("BENCH_NAME") or "latest"
# the program run as a Lambda function: a bootstrap built elsewhere can be named
LAMBDA_BIN = os.environ.get("BENCH_LAMBDA") or OURS
SCALE = float(os.environ.get("BENCH_SCALE") or 1)
REPEAT = max(1, int(os.environ.get("BENCH_REPEAT") or 2))
CONNS = int(os.environ.get("BENCH_CONNS") or 4)
BATCH_ROWS = int(os.environ.get("BENCH_BATCH_ROWS") or 25600)
BATCH_BYTES = 128 * 1024 * 1024
BATCH_AGE = 10
NCPU = os.cpu_count() or 1
SERVER_CPUS = os.environ.get("BENCH_SERVER_CPUS") or "0"
CLIENT_CPUS = os.environ.get("BENCH_CLIENT_CPUS") or ("1" if NCPU > 1 else "0")
TICK = os.sysconf("SC_CLK_TCK")
SIGNALS = ("logs", "traces", "metrics")
ENCODINGS = {  # name: (bodies suffix, content type, content encoding, convert file suffix)
    "pb": ("pb.bodies", "application/x-protobuf", None, "pb"),
    "pb.gz": ("pb.gz.bodies", "application/x-protobuf", "gzip", "pb.gz"),
    "json": ("json.bodies", "application/json", None, "jsonl"),
    "json.gz": ("json.gz.bodies", "application/json", "gzip", "jsonl.gz"),
}
DEFAULT_WORKLOADS = ["logs/pb", "logs/pb.gz", "logs/json", "logs/json.gz", "traces/pb", "traces/json",
                     "metrics/pb", "metrics/json"]


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def sh(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def machine():
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = ""
    with open("/proc/meminfo") as f:
        mem = f.readline().split(":")[1].strip()
    return {"cpu_model": model, "cpus": NCPU, "kernel": platform.release(), "machine": platform.machine(),
            "mem_total": mem, "loadavg_at_start": open("/proc/loadavg").read().split()[:3],
            "os": sh(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"])}


def cpu_of(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def hwm_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class HwmPoller:
    """Reads VmHWM of a process every few ms until it exits; .kb is the last (largest) value.
    ru_maxrss of wait4 cannot be used: Linux carries the high-water mark of the process image
    before exec into it, and that is the Python interpreter that forked the child."""

    def __init__(self, pid, exe):
        import threading
        self.pid, self.kb, self.exe = pid, 0, os.path.realpath(exe)
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while True:  # until the exec of the program itself (fork and taskset come first)
            try:
                if os.readlink("/proc/%d/exe" % self.pid) == self.exe:
                    break
            except OSError:
                return
            time.sleep(0.001)
        while True:
            v = hwm_kb(self.pid)
            if not v:
                return
            self.kb = max(self.kb, v)
            time.sleep(0.005)

    def stop(self):
        self.t.join(2)
        return self.kb


def wait_exit(pid, timeout):
    """wait4 with a timeout: (status, rusage) or None."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        wpid, status, ru = os.wait4(pid, os.WNOHANG)
        if wpid == pid:
            return status, ru
        time.sleep(0.01)
    return None


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def parquet_output(d):
    import pyarrow.parquet as pq
    files = [f for f in glob.glob(os.path.join(d, "**", "*.parquet"), recursive=True)]
    size = sum(os.path.getsize(f) for f in files)
    rows = sum(pq.read_metadata(f).num_rows for f in files)
    codecs = set()
    for f in files[:3]:
        md = pq.read_metadata(f)
        if md.num_row_groups:
            codecs.update(md.row_group(0).column(i).compression for i in range(md.num_columns))
    return {"files": len(files), "bytes": size, "rows": rows, "codecs": sorted(codecs)}


def env_for(outdir, port, extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTLP2PARQUET_")}
    env.update({
        "OTLP2PARQUET_LISTEN_ADDR": "127.0.0.1:%d" % port, "OTLP2PARQUET_STORAGE_BACKEND": "fs",
        "OTLP2PARQUET_STORAGE_PATH": outdir, "OTLP2PARQUET_BATCH_MAX_ROWS": str(BATCH_ROWS),
        "OTLP2PARQUET_BATCH_MAX_BYTES": str(BATCH_BYTES), "OTLP2PARQUET_BATCH_MAX_AGE_SECS": str(BATCH_AGE),
        "OTLP2PARQUET_LOG_LEVEL": "warn", "RUST_LOG": "warn",
    })
    env.update(extra or {})
    return env


def wait_health(port, p, timeout=15):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if p.poll() is not None:
            return False
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/health" % port, timeout=1) as r:
                if r.status == 200:
                    return True
        except OSError:
            time.sleep(0.02)
    return False


def server_run(impl, binary, extra_env, work, sig, enc, records, tmp):
    suffix, ctype, cenc, _ = ENCODINGS[enc]
    outdir = tempfile.mkdtemp(prefix="%s-%s-%s-" % (impl, sig, enc.replace(".", "")), dir=tmp)
    port = free_port()
    errlog = open(outdir + ".stderr", "wb")
    p = subprocess.Popen(["taskset", "-c", SERVER_CPUS, binary, "serve"], env=env_for(outdir, port, extra_env),
                         stdout=errlog, stderr=errlog, stdin=subprocess.DEVNULL)
    try:
        hwm = HwmPoller(p.pid, binary)
        if not wait_health(port, p):
            raise RuntimeError("%s did not come up, see %s.stderr" % (impl, outdir))
        cpu0 = cpu_of(p.pid)
        cmd = ["taskset", "-c", CLIENT_CPUS, LOADGEN, "-u", "127.0.0.1:%d" % port, "-p", "/v1/" + sig,
               "-t", ctype, "-c", str(CONNS)] + (["-e", cenc] if cenc else []) + [os.path.join(work, "%s.%s" % (sig, suffix))]
        lg = subprocess.run(cmd, capture_output=True, text=True)
        load = json.loads(lg.stdout) if lg.stdout.strip() else {"requests": 0, "errors": -1, "wall_s": 0}
        if lg.stderr:
            load["stderr"] = lg.stderr.strip().splitlines()[:5]
        cpu_load = cpu_of(p.pid) - cpu0
        hwm_load = hwm_kb(p.pid)
        t_term = time.monotonic()
        p.send_signal(signal.SIGTERM)
        w = wait_exit(p.pid, 120)
        if w is None:
            p.kill()
            raise RuntimeError("%s did not stop within 120 s of SIGTERM" % impl)
        status, ru = w
        p.returncode = os.waitstatus_to_exitcode(status)
        shutdown_s = time.monotonic() - t_term
    finally:
        if p.returncode is None and p.poll() is None:
            p.kill()
            p.wait()
        errlog.close()
    cpu_total = ru.ru_utime + ru.ru_stime - cpu0
    out = parquet_output(outdir)
    shutil.rmtree(outdir, ignore_errors=True)
    rss_kb = max(hwm_load, hwm.stop())
    return {
        "impl": impl, "signal": sig, "encoding": enc, "records": records, "requests": load.get("requests"),
        "errors": load.get("errors"), "retries": load.get("retries"), "exit_status": p.returncode,
        "load_wall_s": load.get("wall_s"), "records_per_s": records / load["wall_s"] if load.get("wall_s") else 0,
        "cpu_s": cpu_total, "cpu_s_during_load": cpu_load, "cpu_s_per_m_records": cpu_total / records * 1e6,
        "peak_rss_kb": rss_kb, "shutdown_s": shutdown_s, "out_files": out["files"], "out_bytes": out["bytes"],
        "out_rows": out["rows"], "out_bytes_per_record": out["bytes"] / records, "codecs": out["codecs"],
        "loadgen": load,
    }


def convert_run(sig, enc, work, records, tmp):
    f = os.path.join(work, "%s.%s" % (sig, ENCODINGS[enc][3]))
    outdir = tempfile.mkdtemp(prefix="convert-%s-" % sig, dir=tmp)
    env = env_for(outdir, 1)
    t0 = time.monotonic()
    p = subprocess.Popen(["taskset", "-c", SERVER_CPUS.split(",")[0], OURS, "convert", "-q", "--signal", sig,
                          "-o", outdir, f], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    hwm = HwmPoller(p.pid, OURS)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    err = p.stderr.read().decode("utf-8", "replace").strip()
    p.stderr.close()
    out = parquet_output(outdir)
    shutil.rmtree(outdir, ignore_errors=True)
    cpu = ru.ru_utime + ru.ru_stime
    return {"signal": sig, "encoding": enc, "file": os.path.basename(f), "input_bytes": os.path.getsize(f),
            "records": records, "exit_status": p.returncode, "stderr": err[:500], "cpu_s": cpu, "wall_s": wall,
            "records_per_cpu_s": records / cpu if cpu else 0, "records_per_wall_s": records / wall,
            "input_mb_per_cpu_s": os.path.getsize(f) / 1e6 / cpu if cpu else 0,
            "peak_rss_kb": hwm.stop(), "out_bytes": out["bytes"], "out_rows": out["rows"],
            "out_bytes_per_record": out["bytes"] / records}


def best(runs):
    """The run with the fewest CPU-seconds; throughput is the best of all runs (records_per_s), as
    the load generator's wall time suffers from other work on the machine more than CPU time."""
    ok = [r for r in runs if r.get("errors") == 0 and r.get("exit_status") == 0] or runs
    r = dict(min(ok, key=lambda r: r["cpu_s"]), runs=len(runs), cpu_s_all=[round(r["cpu_s"], 4) for r in runs])
    for k in ("records_per_s", "records_per_wall_s"):
        if k in r:
            r[k + "_of_cheapest_run"] = r[k]
            r[k] = max(x[k] for x in ok)
            r[k + "_all"] = [round(x[k]) for x in runs]
    return r


def stripped_size(path):
    if not os.path.exists(path):
        return None
    tmp = tempfile.mktemp()
    for strip in ("strip", "aarch64-linux-gnu-strip", "x86_64-linux-gnu-strip"):
        if shutil.which(strip) and subprocess.run([strip, "-o", tmp, path], capture_output=True).returncode == 0:
            n = os.path.getsize(tmp)
            os.unlink(tmp)
            return n
    return None


def sizes():
    res = {"ours_release_stripped": stripped_size(OURS), "ours_release_unstripped": os.path.getsize(OURS),
           "upstream_stripped": stripped_size(UPSTREAM) if os.path.exists(UPSTREAM) else None,
           "upstream_installed": os.path.getsize(UPSTREAM) if os.path.exists(UPSTREAM) else None,
           "bootstrap": {}}
    for b in sorted(glob.glob(os.path.join(ROOT, "build", "*", "otlp2parquet"))):
        d = os.path.basename(os.path.dirname(b))
        if d in ("asan", "obj", "fuzz", "tools", "bench"):
            continue
        res["bootstrap"]["build/%s/otlp2parquet" % d] = stripped_size(b)
    for z in sorted(glob.glob(os.path.join(ROOT, "dist", "*.zip"))):
        import zipfile
        with zipfile.ZipFile(z) as zf:
            for info in zf.infolist():
                if info.filename == "bootstrap":
                    res["bootstrap"]["%s:bootstrap" % os.path.relpath(z, ROOT)] = info.file_size
            res["bootstrap"]["%s (zip)" % os.path.relpath(z, ROOT)] = os.path.getsize(z)
    return res


def ensure_workloads():
    gen = os.path.join(HERE, "gen_workload.py")
    src = open(gen, "rb").read()
    import hashlib
    key = hashlib.sha256(src).hexdigest()[:12]
    work = os.path.join(ROOT, "build", "bench", "work-s%g-%s" % (SCALE, key))
    if not os.path.exists(os.path.join(work, "meta.json")):
        log("generating the workloads (scale %g) into %s" % (SCALE, os.path.relpath(work, ROOT)))
        for old in glob.glob(os.path.join(ROOT, "build", "bench", "work-s%g-*" % SCALE)):
            shutil.rmtree(old, ignore_errors=True)
        subprocess.run([sys.executable, gen, work + ".tmp", "--scale", str(SCALE)], check=True)
        os.rename(work + ".tmp", work)
    return work, json.load(open(os.path.join(work, "meta.json")))


def fmt(v, nd=2):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    if abs(v) >= 1e6:
        return "%.2fM" % (v / 1e6)
    if abs(v) >= 1e4:
        return "%.0fk" % (v / 1e3)
    return ("%." + str(nd) + "f") % v


def ratio(a, b):
    return a / b if a and b else None


def main():
    if not os.path.exists(OURS) or not os.path.exists(LOADGEN):
        sys.exit("bench: build/otlp2parquet and build/bench/loadgen are needed (make bench builds them)")
    have_up = UPSTREAM != "none" and os.path.exists(UPSTREAM)
    if not have_up:
        log("upstream binary not found (%s): its columns are skipped" % UPSTREAM)
    t_start = time.time()
    work, meta = ensure_workloads()
    tmp = tempfile.mkdtemp(prefix="otlp2parquet-bench-")
    workloads = (os.environ.get("BENCH_WORKLOADS") or ",".join(DEFAULT_WORKLOADS)).split(",")
    result = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": machine(),
        "versions": {"ours": sh([OURS, "--version"]), "ours_commit": sh(["git", "-C", ROOT, "rev-parse", "--short=12", "HEAD"]),
                     "upstream": sh([UPSTREAM, "--version"]) if have_up else None,
                     "cc": sh(["sh", "-c", "${CC:-cc} --version | head -1"]), "rustc": sh(["rustc", "--version"]),
                     "python": platform.python_version()},
        "settings": {"scale": SCALE, "repeat": REPEAT, "connections": CONNS, "batch_max_rows": BATCH_ROWS,
                     "batch_max_bytes": BATCH_BYTES, "batch_max_age_secs": BATCH_AGE, "server_cpus": SERVER_CPUS,
                     "client_cpus": CLIENT_CPUS, "records_per_request": meta["per_request"], "seed": meta["seed"],
                     "log_level": "warn", "ours_compression": "zstd (level 3, the default)",
                     "upstream_compression": "none (0.12.0 writes uncompressed Parquet; it has no setting)"},
        "workload": meta["signals"], "convert": [], "server": [], "lambda": None,
    }

    # (a) convert on one core
    conv_encs = (os.environ.get("BENCH_CONVERT") or ",".join(ENCODINGS)).split(",")
    for sig in SIGNALS:
        for enc in ENCODINGS:
            if enc not in conv_encs:
                continue
            recs = meta["signals"][sig]["records"]
            r = best([convert_run(sig, enc, work, recs, tmp) for _ in range(REPEAT)])
            log("convert %-7s %-7s %9.0f records/CPU-s  (%.3f CPU-s)" % (sig, enc, r["records_per_cpu_s"], r["cpu_s"]))
            result["convert"].append(r)

    # (b) the servers under load; ours also with compression none, upstream's only kind
    impls = [("ours", OURS, {})]
    impls.append(("ours-none", OURS, {"OTLP2PARQUET_PARQUET_COMPRESSION": "none"}))
    if have_up:
        impls.append(("upstream", UPSTREAM, {}))
    for wl in workloads:
        sig, enc = wl.split("/")
        recs = meta["signals"][sig]["records"]
        for impl, binary, extra in impls:
            if impl == "ours-none" and wl != "logs/pb":
                continue
            runs = []
            for _ in range(REPEAT):
                try:
                    runs.append(server_run(impl, binary, extra, work, sig, enc, recs, tmp))
                except RuntimeError as e:
                    log(str(e))
            if not runs:
                continue
            r = best(runs)
            log("serve   %-9s %-7s %-7s %7.2f CPU-s/M  %7.0f kB RSS  %6.1f B/rec  %8.0f rec/s  errors %s" % (
                impl, sig, enc, r["cpu_s_per_m_records"], r["peak_rss_kb"], r["out_bytes_per_record"],
                r["records_per_s"], r["errors"]))
            result["server"].append(r)

    # (c) Lambda
    lam = meta.get("lambda")
    if lam:
        body = open(os.path.join(work, lam["file"]), "rb").read()
        # several cold starts: the first one also pays for a cold page cache
        starts = []
        for i in range(5):
            starts.append(lambda_bench.run(LAMBDA_BIN, body, lam["records"], os.path.join(tmp, "lambda%d" % i)))
            if not starts[-1].get("available"):
                break
        ok = [x for x in starts if x.get("available")]
        if len(ok) == len(starts):
            med = lambda k: sorted(x[k] for x in ok)[len(ok) // 2]
            result["lambda"] = dict(ok[0], starts=len(ok), init_ms=med("init_ms"), init_ms_min=min(x["init_ms"] for x in ok),
                                    first_ms=med("first_ms"), warm_median_ms=med("warm_median_ms"),
                                    warm_p90_ms=med("warm_p90_ms"), runs=ok)
        else:
            result["lambda"] = starts[-1]
        if result["lambda"].get("available"):
            log("lambda: init %.1f ms, warm %.1f ms median" % (result["lambda"]["init_ms"], result["lambda"]["warm_median_ms"]))
        else:
            log("lambda: not available: %s" % result["lambda"]["reason"])
    result["sizes"] = sizes()
    shutil.rmtree(tmp, ignore_errors=True)

    # ratios and goals
    def srv(impl, sig, enc):
        for r in result["server"]:
            if (r["impl"], r["signal"], r["encoding"]) == (impl, sig, enc):
                return r
        return None

    ratios = []
    for wl in workloads:
        sig, enc = wl.split("/")
        o, u = srv("ours", sig, enc), srv("upstream", sig, enc)
        if not (o and u):
            continue
        ratios.append({"workload": wl,
                       "cpu_upstream_over_ours": ratio(u["cpu_s_per_m_records"], o["cpu_s_per_m_records"]),
                       "rss_ours_over_upstream": ratio(o["peak_rss_kb"], u["peak_rss_kb"]),
                       "bytes_ours_over_upstream": ratio(o["out_bytes_per_record"], u["out_bytes_per_record"]),
                       "records_per_s_ours_over_upstream": ratio(o["records_per_s"], u["records_per_s"])})
    on = srv("ours-none", "logs", "pb")
    u = srv("upstream", "logs", "pb")
    if on and u:
        ratios.append({"workload": "logs/pb (ours uncompressed)",
                       "cpu_upstream_over_ours": ratio(u["cpu_s_per_m_records"], on["cpu_s_per_m_records"]),
                       "rss_ours_over_upstream": ratio(on["peak_rss_kb"], u["peak_rss_kb"]),
                       "bytes_ours_over_upstream": ratio(on["out_bytes_per_record"], u["out_bytes_per_record"]),
                       "records_per_s_ours_over_upstream": ratio(on["records_per_s"], u["records_per_s"])})
    result["ratios"] = ratios
    lp = next((r for r in ratios if r["workload"] == "logs/pb"), None)
    conv = next(r for r in result["convert"] if (r["signal"], r["encoding"]) == ("logs", "pb"))
    boot = [v for v in result["sizes"]["bootstrap"].values() if v] or [result["sizes"]["ours_release_stripped"]]
    lamr = result["lambda"] or {}

    def goal(name, value, target, met):
        return {"goal": name, "value": value, "target": target, "met": None if value is None else met}
    result["goals"] = [
        goal("logs HTTP/protobuf: upstream CPU-s/M over ours", lp["cpu_upstream_over_ours"] if lp else None, ">= 3",
             bool(lp and lp["cpu_upstream_over_ours"] and lp["cpu_upstream_over_ours"] >= 3)),
        goal("logs HTTP/protobuf: output bytes ours over upstream", lp["bytes_ours_over_upstream"] if lp else None, "<= 1",
             bool(lp and lp["bytes_ours_over_upstream"] and lp["bytes_ours_over_upstream"] <= 1)),
        goal("logs HTTP/protobuf: peak RSS ours over upstream", lp["rss_ours_over_upstream"] if lp else None, "<= 0.5",
             bool(lp and lp["rss_ours_over_upstream"] and lp["rss_ours_over_upstream"] <= 0.5)),
        goal("convert logs protobuf, records per CPU-second (one core)", conv["records_per_cpu_s"], ">= 1000000",
             conv["records_per_cpu_s"] >= 1e6),
        goal("bootstrap stripped bytes (smallest build found)", min(boot), "<= 1048576", min(boot) <= 1048576),
        goal("Lambda init ms", lamr.get("init_ms") if lamr.get("available") else None, "<= 10",
             bool(lamr.get("available") and lamr["init_ms"] <= 10)),
    ]
    result["elapsed_s"] = time.time() - t_start
    result["machine"]["loadavg_at_end"] = open("/proc/loadavg").read().split()[:3]

    outd = os.path.join(HERE, "results")
    os.makedirs(outd, exist_ok=True)
    with open(os.path.join(outd, RESULT_NAME + ".json"), "w") as f:
        json.dump(result, f, indent=1, default=str)
        f.write("\n")
    bars = []
    for r in ratios:
        bars.append(("CPU upstream/ours " + r["workload"], r["cpu_upstream_over_ours"], 3.0))
    if lp:
        bars.append(("RSS upstream/ours logs/pb", ratio(1, lp["rss_ours_over_upstream"]), 2.0))
        bars.append(("BYTES upstream/ours logs/pb", ratio(1, lp["bytes_ours_over_upstream"]), 1.0))
        bars.append(("REC/S ours/upstream logs/pb", lp["records_per_s_ours_over_upstream"], None))
    bars.append(("CONVERT logs/pb M rec/CPU-s", conv["records_per_cpu_s"] / 1e6, 1.0))
    png_chart.bar_chart(os.path.join(outd, RESULT_NAME + ".png"),
                        "otlp2parquet vs upstream 0.12.0 (higher is better; | = goal)",
                        [(l, v, g) for l, v, g in bars if v is not None])
    print_table(result)


def print_table(res):
    import io
    import contextlib
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        table(res)
    sys.stdout.write(out.getvalue())
    with open(os.path.join(HERE, "results", RESULT_NAME + ".txt"), "w") as f:
        f.write(out.getvalue().lstrip("\n"))


def table(res):
    m = res["machine"]
    print("\notlp2parquet benchmark  %s  scale %g  %s (%d CPUs), Linux %s" % (
        res["when"], res["settings"]["scale"], m["cpu_model"], m["cpus"], m["kernel"]))
    print("ours %s (%s), upstream %s; batch %d rows / 128 MiB / %d s; %d connections\n" % (
        res["versions"]["ours"], res["versions"]["ours_commit"], res["versions"]["upstream"],
        res["settings"]["batch_max_rows"], res["settings"]["batch_max_age_secs"], res["settings"]["connections"]))
    print("convert, one core (ours)")
    print("  %-8s %-8s %10s %12s %12s %10s %10s" % ("signal", "input", "records", "rec/CPU-s", "MB/CPU-s", "RSS kB", "B/rec"))
    for r in res["convert"]:
        print("  %-8s %-8s %10d %12s %12.1f %10d %10.1f" % (r["signal"], r["encoding"], r["records"],
              fmt(r["records_per_cpu_s"]), r["input_mb_per_cpu_s"], r["peak_rss_kb"], r["out_bytes_per_record"]))
    print("\nserver, HTTP load over loopback")
    print("  %-10s %-8s %-8s %11s %10s %9s %10s %7s %s" % ("impl", "signal", "body", "CPU-s/M rec", "peak RSS kB",
          "B/rec", "rec/s", "errors", "rows out"))
    for r in res["server"]:
        print("  %-10s %-8s %-8s %11.2f %10d %9.1f %10s %7s %d/%d" % (r["impl"], r["signal"], r["encoding"],
              r["cpu_s_per_m_records"], r["peak_rss_kb"], r["out_bytes_per_record"], fmt(r["records_per_s"]),
              r["errors"], r["out_rows"], r["records"]))
    if res["ratios"]:
        print("\nratios (CPU: upstream/ours, higher is better; RSS, bytes: ours/upstream, lower is better)")
        print("  %-30s %10s %10s %10s %12s" % ("workload", "CPU u/o", "RSS o/u", "bytes o/u", "rec/s o/u"))
        for r in res["ratios"]:
            print("  %-30s %10s %10s %10s %12s" % (r["workload"], fmt(r["cpu_upstream_over_ours"]),
                  fmt(r["rss_ours_over_upstream"]), fmt(r["bytes_ours_over_upstream"]),
                  fmt(r["records_per_s_ours_over_upstream"])))
    lam = res["lambda"] or {}
    print("\nlambda (fake Runtime API, %s-record invocations): %s" % (lam.get("records_per_invocation"),
          "%s: init %.2f ms (median of %d starts, min %.2f), first %.2f ms, warm median %.2f ms, p90 %.2f ms" % (
              os.path.relpath(lam["binary"], ROOT) if lam["binary"].startswith(ROOT) else lam["binary"], lam["init_ms"],
              lam["starts"], lam["init_ms_min"], lam["first_ms"], lam["warm_median_ms"], lam["warm_p90_ms"])
          if lam.get("available") else "not available: %s" % lam.get("reason")))
    s = res["sizes"]
    print("sizes: ours stripped %s bytes, upstream stripped %s bytes; bootstrap: %s" % (
        s["ours_release_stripped"], s["upstream_stripped"],
        ", ".join("%s %s" % kv for kv in s["bootstrap"].items()) or "none built"))
    print("\ngoals (issue #7)")
    for g in res["goals"]:
        v = g["value"]
        print("  [%s] %-58s %s (target %s)" % ({True: "met ", False: "MISS", None: "n/a "}[g["met"]], g["goal"],
              fmt(v, 3) if not isinstance(v, str) else v, g["target"]))
    print("\nbench/results/%s.json, .txt and .png written in %.0f s" % (RESULT_NAME, res["elapsed_s"]))


if __name__ == "__main__":
    main()
