"""A small Chrome DevTools Protocol client over --remote-debugging-pipe (the Python standard
library only): starts Debian's headless Chromium, opens a page, evaluates JavaScript, sends
mouse events, takes screenshots, and records what a test must check — console errors,
uncaught exceptions and every network request the page makes.

    with Browser() as browser:
        page = browser.open("file:///tmp/report/html/index.html")
        page.wait_for("document.body.dataset.ready === 'study'")
        print(page.evaluate("document.title"), page.errors, page.requests)

The pipe protocol: Chromium reads commands from fd 3 and writes replies and events to fd 4,
each a JSON message ended by a NUL byte.
"""
import base64
import json
import os
import shutil
import struct
import subprocess
import tempfile
import time
import zlib

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


def find_chromium():
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


class BrowserError(RuntimeError):
    pass


class Page:
    def __init__(self, browser, session):
        self.browser = browser
        self.session = session
        self.errors = []    # console errors, uncaught exceptions, failed loads
        self.requests = []  # every URL the page requested

    def send(self, method, params=None, timeout=60):
        return self.browser.send(method, params, session=self.session, timeout=timeout)

    def evaluate(self, expression, timeout=60):
        reply = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True},
                          timeout=timeout)
        if "exceptionDetails" in reply:
            raise BrowserError(f"{expression!r} threw: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def wait_for(self, expression, timeout=60):
        """Polls a JavaScript condition until it is true (BrowserError after `timeout` s)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.evaluate(f"Boolean({expression})"):
                return
            self.browser.pump(0.1)
        raise BrowserError(f"{expression!r} not true after {timeout} s; errors: {self.errors}")

    def mouse(self, kind, x, y):
        self.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left" if kind != "mouseMoved" else "none",
                                               "clickCount": 1 if kind != "mouseMoved" else 0})

    def screenshot(self):
        """PNG bytes of the viewport."""
        return base64.b64decode(self.send("Page.captureScreenshot", {"format": "png"})["data"])

    def handle(self, method, params):
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.errors.append("console: " + " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            self.errors.append("exception: " + str(details.get("exception", {}).get("description", details.get("text"))))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            self.errors.append("log: " + params["entry"].get("text", "") + " " + params["entry"].get("url", ""))
        elif method == "Network.requestWillBeSent":
            self.requests.append(params.get("request", {}).get("url", ""))
        elif method == "Network.loadingFailed":
            self.errors.append("load failed: " + params.get("errorText", ""))


class Browser:
    def __init__(self, width=1280, height=900):
        self.path = find_chromium()
        if not self.path:
            raise BrowserError("no Chromium found (tools/install-deps.sh installs Debian's chromium)")
        self.profile = tempfile.mkdtemp(prefix="coact_chromium_")
        # Chromium's own messages go to a file: a pipe nobody reads would fill and stall it.
        self.log = open(os.path.join(self.profile, "stderr.log"), "w+b")
        commands_read, self.commands = os.pipe()
        self.replies, replies_write = os.pipe()

        # In the child: fd 3 reads our commands, fd 4 carries its replies (pass_fds keeps them open:
        # the descriptors not named there are closed after preexec_fn runs).
        def wire():
            high_read, high_write = os.dup2(commands_read, 200), os.dup2(replies_write, 201)  # either may be 3 or 4
            os.dup2(high_read, 3)
            os.dup2(high_write, 4)

        self.process = subprocess.Popen(
            [self.path, "--headless", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--disable-features=Translate,MediaRouter,OptimizationHints",
             "--metrics-recording-only", "--disable-dev-shm-usage",
             f"--user-data-dir={self.profile}", f"--window-size={width},{height}", "about:blank"],
            preexec_fn=wire, pass_fds=(3, 4), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=self.log)
        os.close(commands_read)
        os.close(replies_write)
        self.buffer = b""
        self.next_id = 0
        self.replies_by_id = {}
        self.pages = {}
        self.width, self.height = width, height

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            if self.process.poll() is None:
                try:
                    self.send("Browser.close", timeout=10)
                except (BrowserError, OSError):
                    pass
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        finally:
            for fd in (self.commands, self.replies):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self.log.close()
            shutil.rmtree(self.profile, ignore_errors=True)

    def pump(self, timeout):
        """Reads whatever messages arrive within `timeout` seconds and dispatches them."""
        import select
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.replies], [], [], max(0.0, left))
            if ready:
                chunk = os.read(self.replies, 1 << 20)
                if not chunk:
                    self.log.seek(0)
                    raise BrowserError("Chromium closed the pipe: " + self.log.read().decode(errors="replace")[-2000:])
                self.buffer += chunk
                while b"\0" in self.buffer:
                    message, self.buffer = self.buffer.split(b"\0", 1)
                    self.dispatch(json.loads(message))
            if left <= 0:
                return

    def dispatch(self, message):
        if "id" in message:
            self.replies_by_id[message["id"]] = message
        elif message.get("sessionId") in self.pages:
            self.pages[message["sessionId"]].handle(message.get("method"), message.get("params", {}))

    def send(self, method, params=None, session=None, timeout=60):
        self.next_id += 1
        ident = self.next_id
        message = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self.commands, data):]
        deadline = time.monotonic() + timeout
        while ident not in self.replies_by_id:
            if time.monotonic() > deadline:
                raise BrowserError(f"no reply to {method} within {timeout} s")
            self.pump(0.05)
        reply = self.replies_by_id.pop(ident)
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def open(self, url):
        """A new page at `url`, recording its errors and requests from the start."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        self.pages[session] = page
        for domain in ("Runtime", "Log", "Network", "Page"):
            page.send(domain + ".enable")
        page.send("Emulation.setDeviceMetricsOverride", {"width": self.width, "height": self.height, "deviceScaleFactor": 1,
                                                         "mobile": False})
        page.send("Page.navigate", {"url": url})
        return page


def png_pixels(data):
    """(width, height, rows) of an 8-bit RGB or RGBA PNG: each row a bytes object of pixels."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    at, idat, width = 8, b"", None
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            if depth != 8 or colour not in (2, 6):
                raise ValueError(f"unsupported PNG (depth {depth}, colour type {colour})")
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        filter_type = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b = previous[x]
            c = previous[x - channels] if x >= channels else 0
            if filter_type == 1:
                line[x] = (line[x] + a) & 255
            elif filter_type == 2:
                line[x] = (line[x] + b) & 255
            elif filter_type == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif filter_type == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


def distinct_colours(data, step=4):
    """How many distinct colours a PNG shows (every `step`-th pixel of every `step`-th row)."""
    width, height, channels, rows = png_pixels(data)
    seen = set()
    for row in rows[::step]:
        for x in range(0, width * channels, channels * step):
            seen.add(row[x:x + 3])
    return len(seen)
