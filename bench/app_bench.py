"""Benchmark of Mediasaur Desktop (NOT a test); bench/app.sh builds the release binaries, opens a
private Secret Service session and runs this. It starts its own Xvfb display and one release
mediasaur-server on a free loopback port, signs a `bench` profile in with the CLI (the key goes to the
keyring through stdin, and to curl through a 0600 header file: never argv, never printed), then
measures the release app and prints one table:

  1. start to first paint: the app launched with MEDIASAUR_EXIT_AFTER_FIRST_PAINT=1 (it prints
     `first-paint-ms X`, measured from the start of run(), and exits); "launch" is from spawning the
     process to reading that line. Cold = the page cache dropped before each launch (needs root).
  2. idle: CPU, wake-ups and memory of the app and its WebKit processes with nothing to do.
  3. uploading BENCH_APP_FILES files: handed to the running app by a second launch (`mediasaur-desktop
     DIR`, the path a file manager's "open with" takes), until the local queue says all are done.
     Compared, in the same run against the same server, with `mediasaur upload DIR` and a loop of one
     `curl -T` per file. Every upload is verified (sha256 of every file; curl: every PUT answered 201).
  4. frame time in the queue view: the app driven by tauri-driver + WebKitWebDriver; a script in the
     page records requestAnimationFrame intervals while scrolling the queue a page per frame.

The app turns WebKitGTK's DMA-BUF renderer off at start unless WEBKIT_DISABLE_DMABUF_RENDERER is set
(src-tauri/src/lib.rs); rows marked "DMA-BUF renderer on" set it to 0 to show what that choice buys.

CPU and memory cover the app's whole process tree (the app, WebKitWebProcess, WebKitNetworkProcess):
CPU from /proc/<pid>/stat, RSS from /proc/<pid>/status, PSS (shared pages split between processes,
so the tree's sum is honest) from /proc/<pid>/smaps_rollup, wake-ups from the threads' context
switches. The script exits non-zero when a verification fails, never because a goal is missed.

  BENCH_APP_WARM=10       warm launches          BENCH_APP_COLD=3       cold launches (0: none)
  BENCH_APP_IDLE_S=30     idle sampling window   BENCH_APP_FILES=1000   files in case 3
  BENCH_APP_FILE_KB=64    their size (KiB)       BENCH_APP_ROWS=10000   queue rows in case 4
  BENCH_APP_FRAMES=600    frames per case 4 row  BENCH_TMPDIR=$TMPDIR   where the work dir goes
"""

import http.client
import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

import client_files

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
MIB = 1024 * 1024
FIRST_PAINT_TIMEOUT_S = 60
UPLOAD_TIMEOUT_S = 600


def int_env(name, default, minimum=0):
    raw = os.environ.get(name, str(default))
    if not raw.isdigit() or int(raw) < minimum:
        sys.exit(f"{name} must be an integer >= {minimum}, got {raw!r}")
    return int(raw)


def log(message):
    print(f"[app bench] {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


# ------------------------------------------------------------------------------------------------
# The process tree under a pid, from /proc.


def _stat_fields(pid):
    with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
        text = stat.read()
    # Field 2 (comm) may hold spaces and parentheses; everything after the last ')' is plain.
    return text[text.rindex(")") + 2 :].split()


def alive(pid):
    """The process exists and is not a zombie."""
    try:
        return _stat_fields(pid)[0] != "Z"
    except OSError:
        return False


def process_tree(root):
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            parent = int(_stat_fields(entry)[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry))
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, []))
    return tree


def _status_kib(pid, field):
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _pss_kib(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _context_switches(pid):
    total = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total


class TreeSample:
    """CPU seconds, context switches and memory of a process tree at one moment."""

    TICKS = os.sysconf("SC_CLK_TCK")

    def __init__(self, root):
        self.at = time.monotonic()
        self.pids = process_tree(root)
        self.cpu_s = 0.0
        self.root_cpu_s = 0.0
        self.switches = 0
        self.rss_kib = 0
        self.pss_kib = 0
        self.root_rss_kib = _status_kib(root, "VmRSS")
        self.root_hwm_kib = _status_kib(root, "VmHWM")
        for pid in self.pids:
            try:
                fields = _stat_fields(pid)
            except OSError:
                continue
            # utime + stime; for the root also cutime + cstime (children it has already reaped).
            ticks = int(fields[11]) + int(fields[12])
            if pid == root:
                self.root_cpu_s = ticks / self.TICKS
                ticks += int(fields[13]) + int(fields[14])
            self.cpu_s += ticks / self.TICKS
            self.switches += _context_switches(pid)
            self.rss_kib += _status_kib(pid, "VmRSS")
            self.pss_kib += _pss_kib(pid)


class Sampler:
    """Samples a process tree every `interval` seconds on a thread; keeps the peaks."""

    def __init__(self, root, interval):
        self.root, self.interval = root, interval
        self.first = self.last = TreeSample(root)
        self.peak_pss_kib = self.first.pss_kib
        self.peak_rss_kib = self.first.rss_kib
        self.samples = 1
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(self.interval):
            self._take()

    def _take(self):
        sample = TreeSample(self.root)
        self.last = sample
        self.samples += 1
        self.peak_pss_kib = max(self.peak_pss_kib, sample.pss_kib)
        self.peak_rss_kib = max(self.peak_rss_kib, sample.rss_kib)

    def stop(self):
        self._stop.set()
        self._thread.join()
        self._take()
        return self

    @property
    def seconds(self):
        return self.last.at - self.first.at

    @property
    def cpu_s(self):
        return self.last.cpu_s - self.first.cpu_s

    @property
    def root_cpu_s(self):
        return self.last.root_cpu_s - self.first.root_cpu_s


# ------------------------------------------------------------------------------------------------
# The pieces the cases run: the server, the app, the CLI, tauri-driver.


class LineWatcher:
    """Drains a child's stdout on a thread (a full pipe would stall the app) and waits for lines."""

    def __init__(self, stream, copy_path):
        self._lines, self._cond = [], threading.Condition()
        self._copy = open(copy_path, "a", encoding="utf-8", errors="replace")
        self._thread = threading.Thread(target=self._drain, args=(stream,), daemon=True)
        self._thread.start()

    def _drain(self, stream):
        for raw in stream:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            stamp = time.perf_counter()
            self._copy.write(line + "\n")
            with self._cond:
                self._lines.append((stamp, line))
                self._cond.notify_all()
        self._copy.close()
        with self._cond:
            self._lines.append((time.perf_counter(), None))
            self._cond.notify_all()

    def wait_for(self, predicate, timeout):
        """The first (time, line) whose line satisfies `predicate`; None at EOF or timeout."""
        deadline, seen = time.monotonic() + timeout, 0
        with self._cond:
            while True:
                for stamp, line in self._lines[seen:]:
                    if line is None:
                        return None
                    if predicate(line):
                        return stamp, line
                seen = len(self._lines)
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)


def stop_process(proc, name):
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        log(f"{name} did not stop on SIGTERM; killing it")
        proc.kill()
        proc.wait()


class Bench:
    def __init__(self, work):
        self.work = work
        self.server_bin = os.environ["BENCH_SERVER_BIN"]
        self.cli_bin = os.environ["BENCH_CLI_BIN"]
        self.app_bin = os.environ["BENCH_APP_BIN"]
        self.children = []
        self.display = None
        self.base = None
        self.failed = []

    # -- environment --------------------------------------------------------------------------

    def start_xvfb(self):
        read_end, write_end = os.pipe()
        xvfb = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
            pass_fds=(write_end,),
            stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(self.work, "xvfb.log"), "w", encoding="utf-8"),
        )
        os.close(write_end)
        self.children.append(("Xvfb", xvfb))
        with os.fdopen(read_end) as displayfd:
            number = displayfd.readline().strip()
        if not number.isdigit():
            sys.exit("Xvfb did not report a display number (see xvfb.log)")
        self.display = f":{number}"

    def start_server(self):
        data = os.path.join(self.work, "server")
        key = subprocess.run(
            [self.server_bin, "--data-dir", data, "init"], check=True, capture_output=True, text=True
        ).stdout.strip()
        if not key.startswith("sk_"):
            sys.exit("mediasaur-server init did not print an sk_ key")
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [self.server_bin, "--data-dir", data, "serve", "--listen", f"127.0.0.1:{port}",
             "--public-url", self.base],
            stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(self.work, "server.log"), "w", encoding="utf-8"),
        )
        self.children.append(("mediasaur-server", server))
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=2):
                    break
            except OSError:
                if server.poll() is not None:
                    sys.exit("mediasaur-server exited at start (see server.log)")
                time.sleep(0.1)
        else:
            sys.exit("mediasaur-server did not answer /healthz within 30 s")
        self.auth_header = os.path.join(self.work, "auth.hdr")
        with open(os.open(self.auth_header, os.O_WRONLY | os.O_CREAT, 0o600), "w") as header:
            header.write(f"Authorization: Bearer {key}\n")
        return key

    def env(self, data_dir):
        """The environment the app and the CLI run with; data_dir holds the local queue and history."""
        env = dict(os.environ)
        env.pop("WAYLAND_DISPLAY", None)
        env.update(
            DISPLAY=self.display,
            GDK_BACKEND="x11",
            MEDIASAUR_CONFIG_DIR=os.path.join(self.work, "config"),
            MEDIASAUR_CLIENT_DATA_DIR=data_dir,
            MEDIASAUR_KEYRING_SERVICE="mediasaur-app-bench",
            MEDIASAUR_LOCAL_SERVER=self.base,
        )
        for var, name in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"),
                          ("XDG_CACHE_HOME", "cache"), ("XDG_STATE_HOME", "state")):
            env[var] = os.path.join(self.work, "xdg", name)
            os.makedirs(env[var], exist_ok=True)
        env.pop("MEDIASAUR_PROFILE", None)
        return env

    def data_dir(self, name):
        path = os.path.join(self.work, "client", name)
        os.makedirs(path, exist_ok=True)
        return path

    def login(self, key):
        subprocess.run(
            [self.cli_bin, "login", "--profile", "bench", "--endpoint", self.base, "--bucket", "default"],
            input=key, text=True, check=True, stdout=subprocess.DEVNULL,
            env=self.env(self.data_dir("login")),
        )

    # -- the app ------------------------------------------------------------------------------

    def launch_app(self, data_dir, extra_env=None, args=()):
        env = self.env(data_dir)
        env.update(extra_env or {})
        started = time.perf_counter()
        proc = subprocess.Popen(
            [self.app_bin, *args], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        watcher = LineWatcher(proc.stdout, os.path.join(self.work, "app.log"))
        return started, proc, watcher

    def first_paint(self, data_dir, extra_env=None):
        """One launch that exits after its first paint: (launch-to-line ms, in-app ms)."""
        env = {"MEDIASAUR_EXIT_AFTER_FIRST_PAINT": "1", **(extra_env or {})}
        started, proc, watcher = self.launch_app(data_dir, env)
        seen = watcher.wait_for(lambda line: line.startswith("first-paint-ms "), FIRST_PAINT_TIMEOUT_S)
        stop_process(proc, "mediasaur-desktop")
        if seen is None:
            sys.exit("the app did not report its first paint (see app.log in the work dir)")
        stamp, line = seen
        return (stamp - started) * 1000, float(line.split()[1])

    def hand_over(self, data_dir, paths):
        """A second launch with files: it gives them to the running app and exits."""
        result = subprocess.run(
            [self.app_bin, *paths], env=self.env(data_dir), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60,
        )
        if result.returncode != 0:
            sys.exit(f"the second launch exited with {result.returncode}")

    # -- the local database (read-only; the app owns it) --------------------------------------

    @staticmethod
    def read_only_db(data_dir):
        uri = f"file:{os.path.join(data_dir, 'mediasaur.sqlite3')}?mode=ro"
        return sqlite3.connect(uri, uri=True, timeout=5)

    @staticmethod
    def queue_counts(data_dir):
        try:
            with Bench.read_only_db(data_dir) as db:
                return dict(db.execute("SELECT state, count(*) FROM transfers GROUP BY state"))
        except sqlite3.Error:
            return {}

    @staticmethod
    def history_objects(data_dir):
        with Bench.read_only_db(data_dir) as db:
            return [json.loads(row[0]) for row in db.execute("SELECT file_json FROM history")]


# ------------------------------------------------------------------------------------------------
# Files to upload.


def verified(objects, sums, prefix, size):
    """"N/N sha256 ok", or what is wrong: every source once, under `prefix`, same sha256 and size."""
    want = {client_files.under(prefix, rel): (sha, size) for rel, sha in sums.items()}
    found = client_files.problems(objects, want)
    if found:
        return f"{len(found)} problems, e.g. {found[0]}"
    return f"{len(want)}/{len(want)} sha256 ok"


# ------------------------------------------------------------------------------------------------
# WebDriver (W3C, plain HTTP to tauri-driver on loopback).


class WebDriver:
    def __init__(self, bench, data_dir, extra_env=None):
        self.port, native = free_port(), free_port()
        env = bench.env(data_dir)
        env.update(extra_env or {})
        self.proc = subprocess.Popen(
            ["tauri-driver", "--port", str(self.port), "--native-port", str(native)],
            env=env, stdin=subprocess.DEVNULL,
            stdout=open(os.path.join(bench.work, "tauri-driver.log"), "a", encoding="utf-8"),
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.session = None
        for _ in range(200):
            try:
                if self._call("GET", "/status")["ready"]:
                    break
            except (OSError, KeyError, ValueError):
                pass
            if self.proc.poll() is not None:
                sys.exit("tauri-driver exited at start (see tauri-driver.log)")
            time.sleep(0.1)
        else:
            sys.exit("tauri-driver did not become ready within 20 s")
        caps = {"capabilities": {"alwaysMatch": {"tauri:options": {"application": bench.app_bin}}}}
        self.session = self._call("POST", "/session", caps)["sessionId"]
        self._call("POST", f"/session/{self.session}/timeouts", {"script": 300_000})

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=330) as response:
                return json.load(response)["value"]
        except urllib.error.HTTPError as error:
            sys.exit(f"WebDriver {method} {path}: HTTP {error.code}: {error.read()[:500]!r}")

    def run(self, script, *args):
        return self._call("POST", f"/session/{self.session}/execute/sync", {"script": script, "args": list(args)})

    def run_async(self, script, *args):
        return self._call("POST", f"/session/{self.session}/execute/async", {"script": script, "args": list(args)})

    def app_pid(self):
        """The app: the child of WebKitWebDriver (itself tauri-driver's child) running app_bin."""
        for pid in process_tree(self.proc.pid):
            try:
                if os.readlink(f"/proc/{pid}/exe").endswith("mediasaur-desktop"):
                    return pid
            except OSError:
                continue
        return None

    def close(self):
        if self.session:
            try:
                self._call("DELETE", f"/session/{self.session}")
            except (OSError, http.client.HTTPException, SystemExit):
                pass
        # The app must be gone before the next case starts one: a launch while it is still exiting
        # would find it by its single-instance name, hand over and exit.
        left = process_tree(self.proc.pid)
        try:
            os.killpg(self.proc.pid, 15)
        except ProcessLookupError:
            pass
        self.proc.wait()
        deadline = time.monotonic() + 10
        while left and time.monotonic() < deadline:
            left = [pid for pid in left if alive(pid)]
            time.sleep(0.1)
        for pid in left:
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass


QUEUE_ROWS_JS = """
const list = document.querySelector('[data-testid="queue-list"]');
return list ? [Number(list.getAttribute('aria-rowcount')), list.getAttribute('aria-busy')] : [-1, null];
"""

# Records requestAnimationFrame intervals; with `scroll`, moves the queue down a page every frame
# (wrapping at the end), which makes the virtual list render a whole new set of rows each frame.
FRAMES_JS = """
const [frames, scroll, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
const list = document.querySelector('[data-testid="queue-list"]');
const deltas = [];
let last = null;
let rendered = 0;
function tick(now) {
  if (last !== null) deltas.push(now - last);
  last = now;
  rendered = Math.max(rendered, list.querySelectorAll('[data-testid="transfer-row"]').length);
  if (deltas.length >= frames) {
    done({ deltas, rendered, rows: Number(list.getAttribute('aria-rowcount')) });
    return;
  }
  if (scroll) {
    const max = list.scrollHeight - list.clientHeight;
    list.scrollTop = list.scrollTop + list.clientHeight > max ? 0 : list.scrollTop + list.clientHeight;
  }
  requestAnimationFrame(tick);
}
requestAnimationFrame(tick);
"""


# ------------------------------------------------------------------------------------------------
# The cases.


def case_first_paint(bench, cold, warm):
    data_dir = bench.data_dir("start")
    bench.first_paint(data_dir)  # creates the database and WebKit's caches, as a user's first run did
    rows = []
    can_drop = os.geteuid() == 0 and os.access("/proc/sys/vm/drop_caches", os.W_OK)
    if cold and not can_drop:
        log("cold launches skipped: dropping the page cache needs root")
    samples = {"cold": [], "warm": [], "warm, DMA-BUF renderer on": []}
    dmabuf = {"WEBKIT_DISABLE_DMABUF_RENDERER": "0"}
    for kind, count in (("cold", cold if can_drop else 0), ("warm", warm),
                        ("warm, DMA-BUF renderer on", min(warm, 3))):
        for _ in range(count):
            if kind == "cold":
                os.sync()
                with open("/proc/sys/vm/drop_caches", "w", encoding="ascii") as drop:
                    drop.write("3\n")
            samples[kind].append(bench.first_paint(data_dir, dmabuf if "DMA-BUF" in kind else None))
    for kind, values in samples.items():
        if not values:
            continue
        for which, index in (("launch → first paint", 0), ("run() → first paint", 1)):
            series = [v[index] for v in values]
            rows.append([f"{kind}, {which}", len(series), statistics.median(series),
                         percentile(series, 0.95), min(series), max(series)])
    return rows


def wait_for_first_paint(watcher, what):
    if watcher.wait_for(lambda line: "first paint" in line, FIRST_PAINT_TIMEOUT_S) is None:
        sys.exit(f"{what}: no first paint (see app.log in the work dir)")


def case_idle(bench, proc, idle_s):
    time.sleep(5)  # past start-up: the first page loads, WebKit's caches, the runner's first look
    sampler = Sampler(proc.pid, 1.0)
    time.sleep(idle_s)
    s = sampler.stop()
    return {
        "cpu_pct": 100 * s.cpu_s / s.seconds,
        "wakeups": (s.last.switches - s.first.switches) / s.seconds,
        "root_rss": s.last.root_rss_kib / 1024,
        "tree_rss": s.last.rss_kib / 1024,
        "tree_pss": s.last.pss_kib / 1024,
        "processes": len(s.last.pids),
        "seconds": s.seconds,
    }


def case_app_upload(bench, proc, data_dir, directory, sums, size):
    before = sum(bench.queue_counts(data_dir).values())
    sampler = Sampler(proc.pid, 0.2)
    started = time.perf_counter()
    bench.hand_over(data_dir, [directory])
    deadline = time.monotonic() + UPLOAD_TIMEOUT_S
    while True:
        counts = bench.queue_counts(data_dir)
        finished = counts.get("done", 0) + counts.get("failed", 0) + counts.get("canceled", 0)
        if finished - before >= len(sums) and not counts.get("queued") and not counts.get("running"):
            break
        if time.monotonic() > deadline or proc.poll() is not None:
            sampler.stop()
            return {"ok": False, "verified": f"unfinished: {counts}"}
        time.sleep(0.05)
    wall = time.perf_counter() - started
    s = sampler.stop()
    verified_text = verified(bench.history_objects(data_dir), sums, "", size)
    if counts.get("failed"):
        verified_text = f"{counts['failed']} failed; " + verified_text
    return {
        "ok": verified_text.endswith("sha256 ok") and not counts.get("failed"),
        "wall": wall, "cpu": s.cpu_s, "app_cpu": s.root_cpu_s, "peak_root_rss": s.last.root_hwm_kib / 1024,
        "peak_tree_pss": s.peak_pss_kib / 1024, "verified": verified_text,
    }


def timed(command, env, stdout):
    """Runs command under GNU time: (status, wall s, user+sys s of it and its children, max RSS MiB)."""
    rusage = tempfile.NamedTemporaryFile("r", suffix=".time", delete=False)
    started = time.perf_counter()
    status = subprocess.run(["/usr/bin/time", "-o", rusage.name, "-f", "%U %S %M", *command],
                            env=env, stdout=stdout, stderr=subprocess.DEVNULL).returncode
    wall = time.perf_counter() - started
    user, system, max_kib = rusage.read().strip().splitlines()[-1].split()
    os.unlink(rusage.name)
    return status, wall, float(user) + float(system), int(max_kib) / 1024


def case_cli_upload(bench, directory, sums, size):
    out_path = os.path.join(bench.work, "cli-upload.jsonl")
    with open(out_path, "w", encoding="utf-8") as out:
        status, wall, cpu, rss = timed(
            [bench.cli_bin, "upload", directory, "--prefix", "bench-cli", "--json", "--profile", "bench"],
            bench.env(bench.data_dir("cli")), out,
        )
    with open(out_path, encoding="utf-8") as lines:
        objects = [json.loads(line) for line in lines if line.strip()]
    verified_text = verified(objects, sums, "bench-cli", size)
    return {"ok": status == 0 and verified_text.endswith("sha256 ok"), "wall": wall, "cpu": cpu,
            "peak_root_rss": rss, "peak_tree_pss": None, "verified": verified_text}


def case_curl_upload(bench, directory, count):
    codes_path = os.path.join(bench.work, "curl-codes.txt")
    with open(codes_path, "w", encoding="utf-8") as codes:
        status, wall, cpu, rss = timed(
            ["bash", os.path.join(BENCH_DIR, "curl_put_each.sh"), bench.auth_header,
             f"{bench.base}/default/bench-curl", directory],
            dict(os.environ), codes,
        )
    with open(codes_path, encoding="utf-8") as codes:
        answers = codes.read().split()
    created = answers.count("201")
    return {"ok": status == 0 and created == count, "wall": wall, "cpu": cpu, "peak_root_rss": rss,
            "peak_tree_pss": None, "verified": f"{created}/{count} HTTP 201"}


def frame_stats(result):
    deltas = result["deltas"]
    return {
        "frames": len(deltas), "mean": statistics.fmean(deltas), "p50": percentile(deltas, 0.5),
        "p95": percentile(deltas, 0.95), "p99": percentile(deltas, 0.99), "max": max(deltas),
        # A frame that took longer than 1.5 vsyncs at 60 Hz missed at least one.
        "missed": sum(1 for d in deltas if d > 25.0), "rendered": result["rendered"],
        "rows": result["rows"],
    }


def case_frames(bench, data_dir, rows, frames, live_upload=None, extra_env=None, idle=True):
    driver = WebDriver(bench, data_dir, extra_env)
    try:
        deadline = time.monotonic() + 120
        while True:
            loaded, busy = driver.run(QUEUE_ROWS_JS)
            if loaded >= rows and busy != "true":
                break
            if time.monotonic() > deadline:
                sys.exit(f"the queue view shows {loaded} rows, not {rows}, after 120 s")
            time.sleep(0.2)
        time.sleep(1)
        results = []
        if idle:
            results.append(("queue idle (no scrolling)", frame_stats(driver.run_async(FRAMES_JS, frames, False))))
        results.append(("scrolling a page per frame", frame_stats(driver.run_async(FRAMES_JS, frames, True))))
        if live_upload:
            directory, sums = live_upload
            bench.hand_over(data_dir, [directory])
            stats = frame_stats(driver.run_async(FRAMES_JS, frames, True))
            counts = bench.queue_counts(data_dir)
            stats["note"] = f"{counts.get('done', 0) - rows} of {len(sums)} done by the last frame"
            results.append((f"scrolling while {len(sums):,} upload", stats))
        return results
    finally:
        driver.close()


def populate_queue(bench, name, count):
    """A data dir whose queue holds `count` finished transfers (sent by the CLI, 1 KiB each)."""
    data_dir = bench.data_dir(name)
    source = os.path.join(bench.work, "files", name)
    client_files.make(source, count, 1024)
    status, wall, _, _ = timed([bench.cli_bin, "upload", source, "--prefix", f"bench-{name}", "--profile", "bench"],
                               bench.env(data_dir), subprocess.DEVNULL)
    if status != 0:
        sys.exit(f"mediasaur upload of the {count} rows for case 4 failed ({status})")
    log(f"queue of {count:,} rows made in {wall:.1f} s")
    return data_dir


# ------------------------------------------------------------------------------------------------
# The table.


def print_table(title, header, rows, formats):
    print(f"\n{title}")
    cells = [header] + [[fmt.format(v) if v is not None else "-" for fmt, v in zip(formats, row)] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for number, row in enumerate(cells):
        print("  " + "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))).rstrip())
        if number == 0:
            print("  " + "  ".join("-" * w for w in widths))


def machine():
    with open("/proc/cpuinfo", encoding="ascii", errors="replace") as cpuinfo:
        model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "?")
    return f"{model}, {os.cpu_count()} cores"


def main():
    warm = int_env("BENCH_APP_WARM", 10, 1)
    cold = int_env("BENCH_APP_COLD", 3)
    idle_s = int_env("BENCH_APP_IDLE_S", 30, 1)
    files = int_env("BENCH_APP_FILES", 1000, 1)
    file_kib = int_env("BENCH_APP_FILE_KB", 64, 1)
    rows = int_env("BENCH_APP_ROWS", 10000, 1)
    frames = int_env("BENCH_APP_FRAMES", 600, 10)
    work = tempfile.mkdtemp(prefix="mediasaur-app-bench.", dir=os.environ.get("BENCH_TMPDIR") or None)
    bench = Bench(work)
    try:
        bench.start_xvfb()
        key = bench.start_server()
        bench.login(key)
        del key
        log(f"work dir {work}, display {bench.display}, server {bench.base}")

        log(f"1. first paint: 1 untimed, {cold} cold, {warm} warm launches")
        start_rows = case_first_paint(bench, cold, warm)

        log(f"2. idle for {idle_s} s")
        idle_dir = bench.data_dir("idle")
        _, app, watcher = bench.launch_app(idle_dir)
        bench.children.append(("mediasaur-desktop", app))
        wait_for_first_paint(watcher, "idle app")
        idle = case_idle(bench, app, idle_s)

        log(f"3. uploading {files:,} files of {file_kib} KiB: app, CLI, curl loop")
        sources = {}
        for name in ("app", "cli", "curl"):
            sources[name] = os.path.join(work, "files", f"upload-{name}")
            sources[name + "-sums"] = client_files.make(sources[name], files, file_kib * 1024)
        uploads = [
            ("Mediasaur Desktop (second launch hands over DIR)",
             case_app_upload(bench, app, idle_dir, sources["app"], sources["app-sums"], file_kib * 1024)),
            ("mediasaur upload DIR (CLI)",
             case_cli_upload(bench, sources["cli"], sources["cli-sums"], file_kib * 1024)),
            ("curl -T loop, 1 PUT per file", case_curl_upload(bench, sources["curl"], files)),
        ]
        stop_process(app, "mediasaur-desktop")

        log(f"4. frame time: queues of 100 and {rows:,} rows")
        small = populate_queue(bench, "queue-small", 100)
        large = populate_queue(bench, "queue-large", rows)
        live = os.path.join(work, "files", "live")
        live_sums = client_files.make(live, files, file_kib * 1024)
        frame_rows = [(f"100 rows, {label}", stats) for label, stats in case_frames(bench, small, 100, frames)]
        frame_rows += [(f"{rows:,} rows, {label}", stats)
                       for label, stats in case_frames(bench, large, rows, frames, (live, live_sums))]
        # What the app turns off at start (src-tauri/src/lib.rs), turned back on for comparison; the
        # renderer is what is being judged here, so its failing is a finding, not the bench's.
        dmabuf = {"WEBKIT_DISABLE_DMABUF_RENDERER": "0"}
        label = "100 rows, scrolling a page per frame, WebKit DMA-BUF renderer on"
        try:
            frame_rows += [(label, stats) for _, stats in
                           case_frames(bench, small, 100, frames, extra_env=dmabuf, idle=False)]
        except (OSError, http.client.HTTPException, SystemExit) as error:
            log(f"{label}: failed ({error!r})")
            frame_rows.append((label, {"failed": f"WebKitWebDriver or the app failed: {error!r}"[:80]}))
    finally:
        for name, proc in reversed(bench.children):
            stop_process(proc, name)

    print(f"\nMediasaur Desktop benchmark, {time.strftime('%Y-%m-%d %H:%M')}, {machine()}, "
          f"release build, Xvfb {bench.display} 1280x800x24 (software rendering), server on loopback")
    print_table("1. Start to first paint (ms); cold = page cache dropped before each launch",
                ["launch", "n", "p50", "p95", "min", "max"], start_rows,
                ["{}", "{}", "{:.0f}", "{:.0f}", "{:.0f}", "{:.0f}"])
    print_table(f"2. Idle, {idle['seconds']:.0f} s after 5 s settling (app + {idle['processes'] - 1} WebKit/helper processes)",
                ["what", "CPU %", "wake-ups/s", "app RSS MiB", "tree RSS MiB", "tree PSS MiB"],
                [["queue empty, window shown", idle["cpu_pct"], idle["wakeups"], idle["root_rss"],
                  idle["tree_rss"], idle["tree_pss"]]],
                ["{}", "{:.2f}", "{:.0f}", "{:.0f}", "{:.0f}", "{:.0f}"])
    upload_rows = []
    for label, result in uploads:
        if not result["ok"]:
            bench.failed.append(f"{label}: {result['verified']}")
        wall = result.get("wall")
        upload_rows.append([label, wall, files / wall if wall else None, result.get("cpu"),
                            result.get("app_cpu"),
                            100 * result["cpu"] / wall if wall else None, result.get("peak_root_rss"),
                            result.get("peak_tree_pss"), result["verified"]])
    print_table(f"3. Uploading {files:,} files of {file_kib} KiB (same server, same run)",
                ["client", "wall s", "files/s", "CPU s", "of it app process", "CPU %", "peak RSS MiB",
                 "peak tree PSS MiB", "verified"],
                upload_rows, ["{}", "{:.1f}", "{:.0f}", "{:.1f}", "{:.1f}", "{:.0f}", "{:.0f}", "{:.0f}", "{}"])
    print("  (app: CPU of its whole tree while it uploads, and of the app process alone (the rest is\n"
          "   WebKit drawing the queue); RSS = the app process's high-water mark.\n"
          "   CLI and curl: GNU time, CPU of the command and its children, max RSS of one process.)")
    print_table("4. Frame time in the queue view (ms between animation frames; 60 Hz = 16.7)",
                ["case", "frames", "mean", "p50", "p95", "p99", "max", ">25 ms", "rows drawn", "note"],
                [[label, None, None, None, None, None, None, None, None, s["failed"]] if "failed" in s else
                 [label, s["frames"], s["mean"], s["p50"], s["p95"], s["p99"], s["max"], s["missed"],
                  s["rendered"], s.get("note", "")] for label, s in frame_rows],
                ["{}", "{}", "{:.1f}", "{:.1f}", "{:.1f}", "{:.1f}", "{:.1f}", "{}", "{}", "{}"])
    shutil.rmtree(work, ignore_errors=True)
    if bench.failed:
        for failure in bench.failed:
            print(f"FAILED: {failure}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
