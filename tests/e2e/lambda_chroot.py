"""The Lambda zips (`make lambda-zip`) unpacked into otherwise empty chroots.

build_zip(arch) builds dist/otlp2parquet-lambda-linux-<arch>.zip; unpack(zip, root) lays it out
at <root>/var/task as Lambda does; elf_info() reads what the loader reads (machine, interpreter,
DT_NEEDED, DT_RPATH/DT_RUNPATH) without readelf, so it works for either arch; run_in_chroot()
runs the unpacked bootstrap (an arm64 one under qemu-aarch64-static copied into the root); and
LambdaEmulator runs the AWS Lambda Runtime Interface Emulator in the root with the bootstrap as
the function, so an invocation goes through the Runtime API exactly as on Lambda. The root shares
the host's network namespace, so loopback services (versitygw, the Iceberg REST fixture) are
reachable from the function.
"""
import json
import os
import shutil
import signal
import socket
import stat
import struct
import subprocess
import time
import urllib.error
import urllib.request
import zipfile

from conftest import CACHE, ROOT, free_port

RIE = os.environ.get("AWS_LAMBDA_RIE", os.path.join(CACHE, "bin", "aws-lambda-rie"))
QEMU_AARCH64 = "/usr/bin/qemu-aarch64-static"
TASK = "/var/task"
# looked up on the host's PATH: the environment the chroot gets has Lambda's PATH
CHROOT = shutil.which("chroot") or "/usr/sbin/chroot"

# per arch: ELF e_machine, the loader's name, what the zip is called
ARCHES = {
    "x86_64": {"machine": 62, "loader": "ld-linux-x86-64.so.2"},
    "arm64": {"machine": 183, "loader": "ld-linux-aarch64.so.1"},
}
# glibc's getaddrinfo may dlopen these (nsswitch.conf "files dns"); not DT_NEEDED of anything
DLOPENED = ("libnss_dns.so.2", "libnss_files.so.2")
# the LD_LIBRARY_PATH Lambda gives a provided.al2023 function
LAMBDA_LD_LIBRARY_PATH = "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib"


def zip_path(arch):
    return os.path.join(ROOT, "dist", f"otlp2parquet-lambda-linux-{arch}.zip")


def build_zip(arch):
    """`make lambda-zip ARCH=arch` (outside any parent make's jobserver); returns the zip's path."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    r = subprocess.run(["make", "--no-print-directory", "lambda-zip", f"ARCH={arch}"], cwd=ROOT, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900)
    assert r.returncode == 0, f"make lambda-zip ARCH={arch} failed:\n{r.stdout[-4000:]}"
    path = zip_path(arch)
    assert os.path.isfile(path), r.stdout
    return path


def unpack(zip_file, root):
    """Extracts the zip into <root>/var/task keeping the files' Unix modes; returns that folder."""
    task = os.path.join(root, TASK.lstrip("/"))
    os.makedirs(task, exist_ok=True)
    with zipfile.ZipFile(zip_file) as z:
        for info in z.infolist():
            z.extract(info, task)
            mode = (info.external_attr >> 16) & 0o7777
            if mode:
                os.chmod(os.path.join(task, info.filename), mode)
    return task


# ---- ELF (64-bit little-endian: x86-64 and AArch64) ----

PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3
DT_NEEDED, DT_STRTAB, DT_RPATH, DT_RUNPATH = 1, 5, 15, 29


def is_elf(path):
    with open(path, "rb") as f:
        return f.read(4) == b"\x7fELF"


def elf_info(path):
    """{'machine', 'interp', 'needed', 'rpath', 'runpath'} of a 64-bit little-endian ELF file."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:4] == b"\x7fELF", f"{path} is not ELF"
    assert data[4] == 2 and data[5] == 1, f"{path}: not a 64-bit little-endian ELF"
    machine = struct.unpack_from("<H", data, 18)[0]
    phoff = struct.unpack_from("<Q", data, 32)[0]
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    loads, dynamic, interp = [], None, None
    for i in range(phnum):
        p_type, _flags, off, vaddr, _paddr, filesz, _memsz, _align = struct.unpack_from(
            "<IIQQQQQQ", data, phoff + i * phentsize)
        if p_type == PT_LOAD:
            loads.append((vaddr, off, filesz))
        elif p_type == PT_DYNAMIC:
            dynamic = (off, filesz)
        elif p_type == PT_INTERP:
            interp = data[off:off + filesz].rstrip(b"\0").decode()
    entries = []
    if dynamic:
        off, size = dynamic
        for pos in range(off, off + size, 16):
            tag, val = struct.unpack_from("<qQ", data, pos)
            if tag == 0:
                break
            entries.append((tag, val))

    def file_offset(addr):
        for vaddr, off, filesz in loads:
            if vaddr <= addr < vaddr + filesz:
                return addr - vaddr + off
        raise AssertionError(f"{path}: address {addr:#x} is in no PT_LOAD segment")

    strtab = next((v for t, v in entries if t == DT_STRTAB), None)

    def string(index):
        start = file_offset(strtab) + index
        return data[start:data.index(b"\0", start)].decode()

    pick = lambda tag: [string(v) for t, v in entries if t == tag]  # noqa: E731
    return {"machine": machine, "interp": interp, "needed": pick(DT_NEEDED),
            "rpath": pick(DT_RPATH), "runpath": pick(DT_RUNPATH)}


def needed_closure(task):
    """The names of lib/ files reachable from bootstrap and the dlopened NSS modules over DT_NEEDED."""
    lib = os.path.join(task, "lib")
    seen, queue = set(), [os.path.join(task, "bootstrap")]
    queue += [os.path.join(lib, n) for n in DLOPENED if os.path.exists(os.path.join(lib, n))]
    seen.update(os.path.basename(p) for p in queue[1:])
    while queue:
        for name in elf_info(queue.pop())["needed"]:
            if name not in seen:
                seen.add(name)
                assert os.path.exists(os.path.join(lib, name)), f"{name} is needed but not in lib/"
                queue.append(os.path.join(lib, name))
    return seen


# ---- running the unpacked zip ----

def chroot_argv(root, arch, *argv):
    """The command running argv inside root; an arm64 program goes through a copy of
    qemu-aarch64-static in the root (binfmt_misc is not relied on: containers often lack it)."""
    prefix = []
    if arch == "arm64" and os.uname().machine != "aarch64":
        qemu = os.path.join(root, "qemu-aarch64-static")
        if not os.path.exists(qemu):
            shutil.copy2(QEMU_AARCH64, qemu)
        prefix = ["/qemu-aarch64-static"]
    return [CHROOT, root] + prefix + list(argv)


def lambda_env(**extra):
    """A minimal environment such as Lambda gives a function (no host PATH, no host libraries)."""
    env = {"LD_LIBRARY_PATH": LAMBDA_LD_LIBRARY_PATH, "LANG": "en_US.UTF-8", "TZ": ":UTC",
           "PATH": "/usr/local/bin:/usr/bin:/bin"}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_in_chroot(root, arch, *args, timeout=120, **env):
    return subprocess.run(chroot_argv(root, arch, f"{TASK}/bootstrap", *args), env=lambda_env(**env),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)


def ensure_dev_null(root):
    """The emulator opens /dev/null for the function's stdin."""
    dev = os.path.join(root, "dev")
    os.makedirs(dev, exist_ok=True)
    null = os.path.join(dev, "null")
    if not os.path.exists(null):
        os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        os.chmod(null, 0o666)


class LambdaEmulator:
    """aws-lambda-rie in the root, with the unpacked bootstrap as the function.

    `env` is the function's environment (the emulator passes its own on, adding
    AWS_LAMBDA_RUNTIME_API); paths in it are seen from inside the root."""

    def __init__(self, root, arch="x86_64", timeout_secs=10, **env):
        self.root, self.arch = root, arch
        self.port, self.api_port = free_port(), free_port()
        self.log_path = os.path.join(root, "rie.log")
        ensure_dev_null(root)
        os.makedirs(os.path.join(root, "tmp"), exist_ok=True)
        assert elf_info(RIE)["interp"] is None, (
            f"{RIE} is dynamically linked; the chroot has no host libc (scripts/ensure-deps.sh test builds it static)")
        shutil.copy2(RIE, os.path.join(root, "aws-lambda-rie"))
        argv = chroot_argv(root, arch, "/aws-lambda-rie",
                           "--runtime-interface-emulator-address", f"127.0.0.1:{self.port}",
                           "--runtime-api-address", f"127.0.0.1:{self.api_port}")
        # chroot_argv put qemu (if any) before the emulator, a static host binary: move it to
        # after, in front of the bootstrap the emulator execs
        if argv[2] == "/qemu-aarch64-static":
            argv = argv[:2] + argv[3:] + ["/qemu-aarch64-static"]
        argv.append(f"{TASK}/bootstrap")
        fenv = lambda_env(AWS_LAMBDA_FUNCTION_TIMEOUT=timeout_secs, AWS_REGION="us-east-1",
                          AWS_LAMBDA_FUNCTION_NAME="otlp2parquet", AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512,
                          **env)
        self._log = open(self.log_path, "wb")
        # its own process group, so stop() also ends the function the emulator started
        self.proc = subprocess.Popen(argv, env=fenv, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self._wait_listening()

    def _wait_listening(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"aws-lambda-rie exited with {self.proc.returncode}:\n{self.output()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"aws-lambda-rie did not listen on {self.port}:\n{self.output()}")

    def invoke(self, event, timeout=60):
        """POSTs the event to the emulator's invoke endpoint; returns (HTTP status, decoded JSON or text)."""
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}/2015-03-31/functions/function/invocations",
                                     data=json.dumps(event).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                status, body = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read()
        try:
            return status, json.loads(body)
        except ValueError:
            return status, body.decode(errors="replace")

    def output(self):
        if not self._log.closed:
            self._log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self, timeout=20):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout)
                break
            except subprocess.TimeoutExpired:
                continue
        self._log.close()
