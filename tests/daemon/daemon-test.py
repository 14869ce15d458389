#!/usr/bin/env python3
"""daemon-test.py PVFHOST BUILD_DIR — `pvfhost serve` end to end, through a
second, independent client of the daemon protocol written from
docs/protocol.md with socket + struct (no code shared with src/daemon).

Checks: the HELLO handshake and a version refusal; bad frames get ERROR
replies and the daemon keeps serving; pre-check verdicts; 100 concurrent
validations of the mini adder from 8 clients match the CLI's result; CANCEL;
a client that disconnects mid-job has its jobs cancelled and others are
served promptly; the Prometheus text over the socket and over HTTP; socket
mode, refusal of a path in use or not a socket, replacement of a stale
socket; SIGTERM under load: exit 0 within seconds, no process of the
daemon's tree left, no *.part file in the cache, the socket file removed.

Prints one line per check and the closing line "N passed, N failed".
"""
import os
import random
import re
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

pvfhost, build = sys.argv[1], sys.argv[2]
mini = os.path.join(build, "examples", "mini-adder.wasm")
params_hex = open(os.path.join(build, "examples", "adder-params.hex")).read().strip()
params = bytes.fromhex(params_hex.removeprefix("0x"))
wasm_dir = os.path.join(build, "tests", "wasm")
loop_code = open(os.path.join(wasm_dir, "worker_loop.wasm"), "rb").read()
traps_code = open(os.path.join(wasm_dir, "traps.wasm"), "rb").read()
mini_code = open(mini, "rb").read()
tmp = tempfile.mkdtemp(prefix="pvfhost-daemon-test-")
passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok   {name}", flush=True)
    else:
        failed += 1
        print(f"FAIL {name} {detail}", flush=True)


# ---- the protocol, from docs/protocol.md --------------------------------------

HELLO, PRECHECK, HEADS_UP, VALIDATE, CANCEL, METRICS = 0x01, 0x02, 0x03, 0x04, 0x05, 0x06
HELLO_ACK, PRECHECK_RESULT, ACK, VALIDATE_RESULT, CANCEL_RESULT, METRICS_RESULT = 0x81, 0x82, 0x83, 0x84, 0x85, 0x86
ERROR = 0xFF
MAX_FRAME = 64 << 20
BACKING, BACKING_SYSTEM, APPROVAL, DISPUTE = 0, 1, 2, 3


def u8(v): return struct.pack("<B", v)
def u32(v): return struct.pack("<I", v)
def u64(v): return struct.pack("<Q", v)
def blob(b): return u32(len(b)) + b
def text(s): return blob(s.encode())


def frame(mtype, rid, body=b""):
    payload = u8(mtype) + u64(rid) + body
    return u32(len(payload)) + payload


class Reader:
    """Strict reader of one payload's fields."""

    def __init__(self, data):
        self.d, self.p = data, 0

    def take(self, n):
        if n > len(self.d) - self.p:
            raise ValueError(f"field of {n} bytes runs past the payload")
        b = self.d[self.p:self.p + n]
        self.p += n
        return b

    def u8(self): return self.take(1)[0]
    def u32(self): return struct.unpack("<I", self.take(4))[0]
    def u64(self): return struct.unpack("<Q", self.take(8))[0]
    def blob(self): return self.take(self.u32())

    def text(self, bound=None):
        b = self.blob()
        if bound is not None and len(b) > bound:
            raise ValueError("string over its bound")
        if b"\0" in b:
            raise ValueError("NUL in a string")
        return b.decode("utf-8")  # strict

    def error(self):
        code, name, cls, msg = self.u32(), self.text(63), self.u8(), self.text(511)
        if cls > 3 or (code == 0) != (cls == 0):
            raise ValueError(f"inconsistent error field {code} {cls}")
        return {"code": code, "name": name, "class": cls, "message": msg}

    def end(self):
        if self.p != len(self.d):
            raise ValueError(f"{len(self.d) - self.p} trailing bytes")


def parse(payload):
    """A response payload -> (type, id, fields)."""
    r = Reader(payload)
    t, rid = r.u8(), r.u64()
    f = {}
    if t == HELLO_ACK:
        f = {"accepted": r.u8(), "protocol": r.u32(), "version": r.text(63), "max_frame": r.u32(),
             "message": r.text(511)}
    elif t == PRECHECK_RESULT:
        f = {"verdict": r.u8(), "error": r.error()}
    elif t == ACK:
        pass
    elif t == VALIDATE_RESULT:
        f = {"status": r.u8(), "error": r.error(), "output": r.blob(), "attempts": r.u32(), "prepared": r.u8(),
             "queue_us": r.u64(), "execute_us": r.u64(), "cpu_us": r.u64()}
        if (f["status"] == 0) != (f["error"]["code"] == 0):
            raise ValueError("status and error disagree")
    elif t == CANCEL_RESULT:
        f = {"found": r.u8()}
    elif t == METRICS_RESULT:
        f = {"text": r.text()}
    elif t == ERROR:
        f = {"error": r.error()}
    else:
        raise ValueError(f"unexpected message type {t:#x}")
    r.end()
    return t, rid, f


class Conn:
    def __init__(self, path, hello=True, version=1, name="daemon-test"):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(60)
        self.s.connect(path)
        self.next_id = 100
        if hello:
            self.s.sendall(frame(HELLO, 1, u32(version) + text(name)))
            self.ack = self.recv()

    def id(self):
        self.next_id += 1
        return self.next_id

    def send_raw(self, b):
        self.s.sendall(b)

    def send(self, mtype, body=b"", rid=None):
        rid = self.id() if rid is None else rid
        self.s.sendall(frame(mtype, rid, body))
        return rid

    def _exact(self, n):
        b = b""
        while len(b) < n:
            c = self.s.recv(n - len(b))
            if not c:
                return None
            b += c
        return b

    def recv(self):
        """The next response, or None at end of stream."""
        h = self._exact(4)
        if h is None:
            return None
        n = struct.unpack("<I", h)[0]
        if not 1 <= n <= MAX_FRAME:
            raise ValueError(f"bad length {n}")
        p = self._exact(n)
        if p is None:
            raise ValueError("end of stream mid-frame")
        return parse(p)

    def closed(self):
        """True if the server closes the connection (after any frames)."""
        try:
            while True:
                if self.recv() is None:
                    return True
        except (ConnectionResetError, socket.timeout):
            return False

    def close(self):
        self.s.close()


def validate_body(code, vparams, priority=BACKING, deadline_ms=0, exec_params=b"", export=""):
    name = blob(export) if isinstance(export, bytes) else text(export)
    return u8(priority) + u64(deadline_ms) + blob(exec_params) + name + blob(code) + blob(vparams)


def code_body(code, exec_params=b""):
    return blob(exec_params) + blob(code)


def leb(n):
    out = b""
    while True:
        b, n = n & 0x7F, n >> 7
        if not n:
            return out + bytes([b])
        out += bytes([b | 0x80])


def sleb(n):
    out = b""
    while True:
        b, n = n & 0x7F, n >> 7
        if (n == 0 and not b & 0x40) or (n == -1 and b & 0x40):
            return out + bytes([b])
        out += bytes([b | 0x80])


def big_pvf(nfuncs, ops):
    """A PVF-shaped module whose C takes seconds to compile: validate_block
    calls f1, each fk does `ops` arithmetic operations and calls fk+1."""
    def vec(items): return leb(len(items)) + b"".join(items)
    def name(s): return leb(len(s)) + s.encode()
    def section(i, body): return bytes([i]) + leb(len(body)) + body
    types = vec([b"\x60" + vec([b"\x7f", b"\x7f"]) + vec([b"\x7e"]), b"\x60" + vec([b"\x7f"]) + vec([b"\x7f"])])
    funcs = vec([leb(0)] + [leb(1)] * nfuncs)
    mem = vec([b"\x00\x01"])
    glob = vec([b"\x7f\x00\x41" + sleb(1024) + b"\x0b"])
    exps = vec([name("memory") + b"\x02\x00", name("__heap_base") + b"\x03\x00",
                name("validate_block") + b"\x00\x00"])
    bodies = [b"\x00\x20\x00\x10" + leb(1) + b"\xac\x0b"]  # local.get 0; call 1; i64.extend_i32_s
    for k in range(1, nfuncs + 1):
        ins = b"\x20\x00"
        for j in range(ops):
            ins += b"\x41" + sleb(k * 31 + j) + (b"\x6a" if j % 3 else b"\x6c")  # i32.add / i32.mul
        if k < nfuncs:
            ins += b"\x10" + leb(k + 1)
        bodies.append(b"\x00" + ins + b"\x0b")
    code = vec([leb(len(b)) + b for b in bodies])
    return (b"\0asm\1\0\0\0" + section(1, types) + section(3, funcs) + section(5, mem) + section(6, glob)
            + section(7, exps) + section(10, code))


def partial_files(root):
    return [os.path.join(dp, f) for dp, _, fs in os.walk(root) for f in fs if f.endswith((".part", ".tmp"))
            or ".part-" in f or ".tmp-" in f]


# ---- the daemon --------------------------------------------------------------


def descendants(pid):
    """pid -> set of (pid, starttime) of its descendants, from /proc."""
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            st = open(f"/proc/{d}/stat").read()
        except OSError:
            continue
        fields = st[st.rindex(")") + 2:].split()
        kids.setdefault(int(fields[1]), []).append((int(d), fields[19]))
    out, todo = set(), [pid]
    while todo:
        for c in kids.get(todo.pop(), []):
            out.add(c)
            todo.append(c[0])
    return out


def alive(p):
    pid, start = p
    try:
        st = open(f"/proc/{pid}/stat").read()
    except OSError:
        return False
    fields = st[st.rindex(")") + 2:].split()
    return fields[19] == start and fields[0] != "Z"


class Daemon:
    def __init__(self, name, *extra):
        self.sock = os.path.join(tmp, name + ".sock")
        self.cache = os.path.join(tmp, name + "-cache")
        self.logpath = os.path.join(tmp, name + ".log")
        r, w = os.pipe()
        self.log = open(self.logpath, "wb")
        self.p = subprocess.Popen([pvfhost, "serve", "--socket", self.sock, "--cache", self.cache, "--ready-fd",
                                   str(w), "--log-level", "info", *extra], stdin=subprocess.DEVNULL,
                                  stdout=self.log, stderr=subprocess.STDOUT, pass_fds=(w,))
        os.close(w)
        t0 = time.time()
        ready = b""
        os.set_blocking(r, False)
        while time.time() - t0 < 60 and self.p.poll() is None and not ready.endswith(b"\n"):
            try:
                ready += os.read(r, 16)
            except BlockingIOError:
                time.sleep(0.02)
        os.close(r)
        self.ready = ready == b"ready\n"
        self.startup_s = time.time() - t0
        daemons.append(self)

    def logtext(self):
        return open(self.logpath, errors="replace").read()

    def stop(self, timeout=20):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            return None


def expected_output():
    """The ValidationResult the CLI produces in-process for the mini adder."""
    r = subprocess.run([pvfhost, "validate", "--in-process", "--code", mini, "--params-hex", params_hex, "--cache",
                        os.path.join(tmp, "cli-cache")], capture_output=True, text=True)
    if r.returncode != 0:  # older CLI without --in-process
        r = subprocess.run([pvfhost, "validate", "--code", mini, "--params-hex", params_hex, "--cache",
                            os.path.join(tmp, "cli-cache")], capture_output=True, text=True)
    return r.returncode, r.stdout.strip()


daemons = []


def run():
    rc, want_hex = expected_output()
    check("the CLI validates the mini adder (the expected output)", rc == 0 and len(want_hex) == 2 * 85,
          f"rc={rc} out={want_hex[:100]}")
    want = bytes.fromhex(want_hex) if rc == 0 else b""

    d = Daemon("main", "--workers-execute", "2", "--metrics", "127.0.0.1:0")
    check("serve starts and reports ready", d.ready and d.p.poll() is None, d.logtext()[-2000:])
    if not d.ready:
        return
    st = os.lstat(d.sock)
    check("the socket is a socket of mode 0600", stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600,
          oct(st.st_mode))

    # ---- the CLI as a client -----------------------------------------------------------

    r = subprocess.run([pvfhost, "validate", "--code", mini, "--params-hex", params_hex, "--connect", d.sock,
                        "--priority", "approval"], capture_output=True, text=True)
    check("pvfhost validate --connect --priority approval: the same output as in-process",
          r.returncode == 0 and r.stdout.strip() == want_hex, r.stdout + r.stderr)
    r = subprocess.run([pvfhost, "validate", "--code", mini, "--params-hex", params_hex[:40], "--connect", d.sock,
                        "--priority", "dispute"], capture_output=True, text=True)
    check("pvfhost validate --connect: a bad candidate is invalid (exit 1)",
          r.returncode == 1 and r.stdout.startswith("invalid: "), r.stdout + r.stderr)
    r = subprocess.run([pvfhost, "validate", "--code", mini, "--params-hex", params_hex, "--connect", d.sock,
                        "--priority", "urgent"], capture_output=True, text=True)
    check("pvfhost validate: an unknown --priority is a usage error (exit 2) naming it",
          r.returncode == 2 and '"urgent"' in r.stderr, r.stderr)
    r = subprocess.run([pvfhost, "validate", "--code", mini, "--params-hex", params_hex, "--connect",
                        os.path.join(tmp, "no-such.sock")], capture_output=True, text=True)
    check("pvfhost validate --connect to no daemon fails (exit 2) and says so",
          r.returncode == 2 and "pvfhost serve" in r.stderr, r.stderr)

    # ---- handshake ------------------------------------------------------------------

    version = subprocess.run([pvfhost, "--version"], capture_output=True, text=True).stdout.split()[-1]
    c = Conn(d.sock)
    t, rid, f = c.ack
    check("HELLO -> HELLO_ACK accepted, protocol 1, the server's version, 64 MiB frames",
          t == HELLO_ACK and rid == 1 and f["accepted"] == 1 and f["protocol"] == 1 and f["version"] == version
          and f["max_frame"] == MAX_FRAME and f["message"] == "", (t, rid, f))
    c2 = Conn(d.sock, version=2)
    t, rid, f = c2.ack
    check("HELLO version 2 -> refused, naming both versions", t == HELLO_ACK and f["accepted"] == 0
          and f["protocol"] == 1 and "version 2" in f["message"] and "protocol version 1" in f["message"]
          and version in f["message"], f)
    check("... and the connection is closed", c2.closed())
    c2 = Conn(d.sock, hello=False)
    rid = c2.send(METRICS)
    t, eid, f = c2.recv()
    check("a request before HELLO -> ERROR with its id, usage", t == ERROR and eid == rid
          and f["error"]["name"] == "usage" and "HELLO" in f["error"]["message"], f)
    check("... and the connection is closed", c2.closed())

    # ---- bad frames -------------------------------------------------------------------


    def expect_error(conn, raw, want_id, what, keep=True):
        conn.send_raw(raw)
        t, eid, f = conn.recv()
        ok = t == ERROR and eid == want_id and f["error"]["name"] == "usage" and f["error"]["class"] == 3
        if keep:
            rid = conn.send(METRICS)
            t2, rid2, f2 = conn.recv()
            ok = ok and t2 == METRICS_RESULT and rid2 == rid
        check(f"bad frame: {what} -> ERROR (id {want_id})" + (", connection kept" if keep else ""), ok, (t, eid, f))


    expect_error(c, frame(0x42, 7), 7, "unknown type 0x42")
    expect_error(c, frame(VALIDATE_RESULT, 8, b"\0" * 40), 8, "a response type from the client")
    expect_error(c, frame(VALIDATE, 9, validate_body(mini_code, params)[:-3]), 9, "truncated VALIDATE")
    expect_error(c, frame(METRICS, 10, b"\0"), 10, "a trailing byte")
    expect_error(c, frame(VALIDATE, 11, u8(9) + validate_body(mini_code, params)[1:]), 11, "priority 9")
    expect_error(c, frame(VALIDATE, 12, validate_body(mini_code, params, export="\udcff".encode("utf-8", "surrogatepass"))),
                 12, "export name not UTF-8")
    expect_error(c, frame(METRICS, 0), 0, "request id 0")
    expect_error(c, u32(5) + b"\x06\x01\x00\x00\x00", 0, "a payload shorter than the header")
    expect_error(c, frame(HELLO, 13, u32(1) + text("again")), 13, "a second HELLO")
    expect_error(c, frame(CANCEL, 14, u64(0)), 14, "CANCEL of id 0")

    # random garbage payloads: one ERROR each, never a crash
    random.seed(1)
    g = Conn(d.sock)
    ok = True
    for i in range(200):
        body = bytes(random.randrange(256) for _ in range(random.randrange(0, 60)))
        mtype = random.choice([PRECHECK, HEADS_UP, VALIDATE, CANCEL, METRICS, 0x00, 0x07, 0x80, 0xFE])
        g.send_raw(frame(mtype, 1000 + i, body))
        t, eid, f = g.recv()
        # a random CANCEL body of 8 bytes is well formed, and so is METRICS without a body
        if t == ERROR:
            ok = ok and eid == 1000 + i and f["error"]["code"] != 0
        else:
            ok = ok and t == (mtype | 0x80) and eid == 1000 + i
    check("200 random payloads: one well-formed response each", ok)
    g.close()

    b = Conn(d.sock)
    b.send_raw(u32(0xFFFFFFFF) + b"\x04")
    t, eid, f = b.recv()
    check("a length prefix over 64 MiB -> ERROR id 0 ...", t == ERROR and eid == 0 and "limit" in f["error"]["message"], f)
    check("... and the connection is closed", b.closed())
    b = Conn(d.sock)
    b.send_raw(u32(0))
    t, eid, f = b.recv()
    check("a length prefix of 0 -> ERROR id 0, connection closed", t == ERROR and eid == 0 and b.closed(), f)
    b = Conn(d.sock)
    rid = b.send(VALIDATE, validate_body(loop_code, params, priority=APPROVAL))
    b.send(METRICS, rid=rid)
    t, eid, f = b.recv()
    check("a request id already in flight -> ERROR id 0, connection closed",
          t == ERROR and eid == 0 and "already in flight" in f["error"]["message"] and b.closed(), f)
    d2 = Conn(d.sock)
    check("the daemon keeps serving after bad frames", d2.ack[2]["accepted"] == 1 and d.p.poll() is None)
    d2.close()

    # ---- pre-check, heads-up, metrics ----------------------------------------------------

    rid = c.send(PRECHECK, code_body(mini_code))
    t, eid, f = c.recv()
    check("PRECHECK of the mini adder -> valid", t == PRECHECK_RESULT and eid == rid and f["verdict"] == 0
          and f["error"]["code"] == 0, f)
    rid = c.send(PRECHECK, code_body(traps_code))
    t, eid, f = c.recv()
    check("PRECHECK of a module without validate_block -> invalid, rule-validate-block, deterministic",
          t == PRECHECK_RESULT and eid == rid and f["verdict"] == 1 and f["error"]["name"] == "rule-validate-block"
          and f["error"]["code"] == 10 and f["error"]["class"] == 1 and f["error"]["message"], f)
    rid = c.send(PRECHECK, code_body(b"\0asm\1\0\0\0\x05\x03\x01"))
    t, eid, f = c.recv()
    check("PRECHECK of a malformed module -> invalid, malformed", t == PRECHECK_RESULT and f["verdict"] == 1
          and f["error"]["name"] == "malformed", f)
    rid = c.send(PRECHECK, code_body(mini_code, exec_params=b"\xff"))
    t, eid, f = c.recv()
    check("PRECHECK with undecodable executor params -> ERROR with its id", t == ERROR and eid == rid
          and f["error"]["code"] != 0, f)
    rid = c.send(HEADS_UP, code_body(loop_code))
    t, eid, f = c.recv()
    check("HEADS_UP -> ACK", t == ACK and eid == rid, (t, f))
    rid = c.send(METRICS)
    t, eid, f = c.recv()
    metrics_text = f.get("text", "")
    check("METRICS -> the Prometheus text", t == METRICS_RESULT and eid == rid and "# TYPE pvfhost_" in metrics_text,
          metrics_text[:300])
    m = re.search(r"metrics_port=(\d+)", d.logtext())
    if m:
        body = urllib.request.urlopen(f"http://127.0.0.1:{m.group(1)}/metrics", timeout=10).read().decode()
        check("--metrics serves the same metrics over HTTP", "# TYPE pvfhost_" in body
              and set(re.findall(r"^# TYPE (\S+)", body, re.M)) == set(re.findall(r"^# TYPE (\S+)", metrics_text, re.M)))
    else:
        check("--metrics reports its port in the log", False, d.logtext()[-1000:])

    # ---- validations ---------------------------------------------------------------------

    rid = c.send(VALIDATE, validate_body(mini_code, params))
    t, eid, f = c.recv()
    check("VALIDATE of the mini adder -> the CLI's ValidationResult", t == VALIDATE_RESULT and eid == rid
          and f["status"] == 0 and f["output"] == want and f["attempts"] >= 1, f)
    rid = c.send(VALIDATE, validate_body(mini_code, params[:20]))
    t, eid, f = c.recv()
    check("VALIDATE of a bad candidate -> status 1, deterministic", t == VALIDATE_RESULT and eid == rid
          and f["status"] == 1 and f["error"]["class"] == 1 and f["output"] == b"", f)

    results = {}
    errors = []


    def worker(k, n):
        try:
            conn = Conn(d.sock, name=f"client-{k}")
            ids = [conn.send(VALIDATE, validate_body(mini_code, params, priority=k % 4)) for _ in range(n)]
            got = {}
            for _ in ids:
                t, rid, f = conn.recv()
                got[rid] = (t, f)
            conn.close()
            results[k] = (ids, got)
        except Exception as e:  # reported below
            errors.append(f"client {k}: {e!r}")


    t0 = time.time()
    threads = [threading.Thread(target=worker, args=(k, 13 if k < 4 else 12)) for k in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    elapsed = time.time() - t0
    total = sum(len(ids) for ids, _ in results.values())
    good = sum(1 for ids, got in results.values() for i in ids
               if i in got and got[i][0] == VALIDATE_RESULT and got[i][1]["status"] == 0 and got[i][1]["output"] == want)
    check(f"100 concurrent validations from 8 clients all return the expected output ({elapsed:.1f} s)",
          not errors and total == 100 and good == 100, (errors, total, good))

    # CANCEL
    c.send(HEADS_UP, code_body(loop_code))
    c.recv()
    rid = c.send(VALIDATE, validate_body(loop_code, params, priority=APPROVAL))
    time.sleep(0.5)
    t0 = time.time()
    cid = c.send(CANCEL, u64(rid))
    got = {}
    for _ in range(2):
        t, eid, f = c.recv()
        got[t] = (eid, f)
    check("CANCEL of a running validation -> found, and its result is 'cancelled'",
          CANCEL_RESULT in got and got[CANCEL_RESULT] == (cid, {"found": 1}) and VALIDATE_RESULT in got
          and got[VALIDATE_RESULT][0] == rid and got[VALIDATE_RESULT][1]["error"]["name"] == "cancelled"
          and got[VALIDATE_RESULT][1]["error"]["class"] == 3 and time.time() - t0 < 5, got)
    cid = c.send(CANCEL, u64(rid))
    t, eid, f = c.recv()
    check("CANCEL of a completed request -> not found", t == CANCEL_RESULT and eid == cid and f["found"] == 0, f)

    # a client that disconnects mid-job: 4 endless jobs (2 running on the 2 execute workers, 2 queued)
    a = Conn(d.sock, name="leaver")
    for _ in range(4):
        a.send(VALIDATE, validate_body(loop_code, params, priority=APPROVAL))
    time.sleep(1.0)
    a.close()
    t0 = time.time()
    rid = c.send(VALIDATE, validate_body(mini_code, params, priority=BACKING))
    t, eid, f = c.recv()
    dt = time.time() - t0
    check(f"a client that disconnects mid-job: its jobs are cancelled, the next client is served promptly ({dt:.2f} s)",
          t == VALIDATE_RESULT and eid == rid and f["status"] == 0 and f["output"] == want and dt < 5, (dt, f))
    time.sleep(0.3)
    check("... the daemon logs the cancellation", re.search(r"event=cancel conn=\d+ validations=4 reason=disconnect",
                                                            d.logtext()) is not None)
    c.close()

    # ---- socket path handling ------------------------------------------------------------

    r = subprocess.run([pvfhost, "serve", "--socket", d.sock, "--cache", os.path.join(tmp, "x")], capture_output=True,
                       text=True, timeout=30)
    check("a second daemon on a socket in use exits 2, naming the problem",
          r.returncode == 2 and "another daemon is listening" in r.stderr, r.stderr[-500:])
    plain = os.path.join(tmp, "plain-file")
    open(plain, "w").write("keep me")
    r = subprocess.run([pvfhost, "serve", "--socket", plain, "--cache", os.path.join(tmp, "x")], capture_output=True,
                       text=True, timeout=30)
    check("a socket path that is a regular file: exit 2, file untouched",
          r.returncode == 2 and "not a socket" in r.stderr and open(plain).read() == "keep me", r.stderr[-500:])
    r = subprocess.run([pvfhost, "serve"], capture_output=True, text=True, timeout=30)
    check("serve without --socket is a usage error (exit 2)", r.returncode == 2)

    rc = d.stop()
    check("SIGTERM on an idle daemon: exit 0, socket removed", rc == 0 and not os.path.exists(d.sock), rc)

    # ---- SIGTERM under load ----------------------------------------------------------------

    stale = os.path.join(tmp, "load.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(stale)
    s.close()  # a socket file nobody listens on
    d = Daemon("load", "--workers-execute", "2", "--workers-prepare", "2")
    check("a stale socket file is replaced", d.ready and "stale-socket-removed" in d.logtext(), d.logtext()[-1000:])
    conns = [Conn(d.sock, name=f"load-{k}") for k in range(4)]
    pids = set()
    for k, conn in enumerate(conns):
        for j in range(10):
            conn.send(VALIDATE, validate_body(loop_code, params, priority=APPROVAL))
            conn.send(VALIDATE, validate_body(mini_code, params, priority=k % 4))
        # code the host has not prepared yet: preparations are in flight at SIGTERM
        for ep in (b"\x04\x07", b"\x04\x02\x00\x08\x00\x00", b"\x04\x02\x00\x10\x00\x00"):
            conn.send(VALIDATE, validate_body(mini_code, params, exec_params=ep))
    big = big_pvf(1000, 100)  # seconds of compiling each
    conns[0].send(VALIDATE, validate_body(big, params, priority=DISPUTE))
    conns[1].send(HEADS_UP, code_body(big_pvf(999, 100)))
    seen_parts = False
    for _ in range(15):
        pids |= descendants(d.p.pid)
        seen_parts = seen_parts or bool(partial_files(d.cache))
        time.sleep(0.1)
    check("under load the daemon runs worker processes", len(pids) >= 2, pids)
    check("... and preparations are writing partial artifacts", seen_parts)
    t0 = time.time()
    d.p.send_signal(signal.SIGTERM)
    try:
        rc = d.p.wait(20)
    except subprocess.TimeoutExpired:
        rc = None
    dt = time.time() - t0
    check(f"SIGTERM under load: exit 0 within a few seconds ({dt:.2f} s)", rc == 0 and dt < 10, rc)
    left = [p for p in pids if alive(p)]
    for _ in range(20):  # processes killed at exit may take a moment to be reaped
        if not left:
            break
        time.sleep(0.1)
        left = [p for p in pids if alive(p)]
    check("... no process of its tree left", not left, left)
    parts = partial_files(d.cache)
    check("... no *.part file left in the cache", not parts, parts)
    check("... the socket file removed", not os.path.exists(d.sock))
    ok = True
    for conn in conns:
        try:
            last = None
            while True:
                m = conn.recv()
                if m is None:
                    break
                last = m
            ok = ok and last is not None and last[0] == ERROR and last[1] == 0 and last[2]["error"]["name"] == "cancelled"
        except (ConnectionResetError, socket.timeout):
            ok = False
    check("... clients got ERROR 'cancelled' (id 0), then end of stream", ok)
    log = d.logtext()
    check("... the daemon logged its shutdown", "event=shutdown signal=SIGTERM" in log and "event=stopped" in log,
          log[-1000:])


try:
    run()
except Exception:
    import traceback
    traceback.print_exc()
    check("the test ran to the end (the daemon's log follows)", False)
    for dd in daemons:
        print(f"--- {dd.logpath} (exit {dd.p.poll()}):\n" + dd.logtext()[-4000:])
finally:
    for dd in daemons:
        if dd.p.poll() is None:
            dd.p.kill()
            dd.p.wait()

subprocess.run(["rm", "-rf", tmp])
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
