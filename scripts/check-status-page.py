#!/usr/bin/env python3
"""Loads the status page of a running `vigilante demo` in a real headless Chromium over the DevTools
protocol (--remote-debugging-pipe, no third-party module) and checks it:

- the answer carries a strict Content-Security-Policy and is text/html;
- the page logs no console message, throws no exception, and requests nothing but itself;
- the DOM shows the demo's Windows nodes in their window with a progress bar, then healed as the
  demo goes on (the page reloads itself);
- the leader and version are shown;
- screenshots (desktop light, phone dark) are written to the artefact folder.

usage: check-status-page.py URL ARTEFACT_DIR [CHROMIUM]
"""
import base64
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time

URL, ARTEFACTS = sys.argv[1], sys.argv[2]
CHROMIUM = sys.argv[3] if len(sys.argv) > 3 else (shutil.which("chromium") or "chromium")
WINDOWS_NODES = ["akswin000000", "akswin000001", "akswin000002", "akswin000003"]
LINUX_NODES = ["aks-linux-000000", "aks-linux-000001"]
failures = []


def check(condition, message):
    print(("ok   " if condition else "FAIL ") + message, flush=True)
    if not condition:
        failures.append(message)


class Browser:
    """One headless Chromium and one page, driven over fds 3 (commands) and 4 (answers and events)."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="vigilante-chromium-")
        cmd_r, self.cmd_w = os.pipe()
        self.resp_r, resp_w = os.pipe()

        def child_fds():
            a, b = os.dup(cmd_r), os.dup(resp_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.process = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={self.profile}", "--window-size=1280,900", "about:blank"],
            preexec_fn=child_fds, pass_fds=(3, 4), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(cmd_r)
        os.close(resp_w)
        self.buffer = b""
        self.next_id = 0
        self.events = []
        self.session = None
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]

    def send(self, method, params=None):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if self.session:
            message["sessionId"] = self.session
        os.write(self.cmd_w, json.dumps(message).encode() + b"\0")
        return self.next_id

    def read(self, timeout):
        """The next message, or None after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.resp_r], [], [], left)[0]:
                return None
            chunk = os.read(self.resp_r, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method, params=None, timeout=60):
        wanted = self.send(method, params)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = self.read(deadline - time.monotonic())
            if message is None:
                break
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)
        raise RuntimeError(f"{method}: no answer within {timeout}s")

    def wait_event(self, method, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for index, event in enumerate(self.events):
                if event["method"] == method:
                    return self.events.pop(index)
            message = self.read(deadline - time.monotonic())
            if message is not None and "method" in message:
                self.events.append(message)
        raise RuntimeError(f"no {method} within {timeout}s")

    def drain(self, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            message = self.read(deadline - time.monotonic())
            if message is not None and "method" in message:
                self.events.append(message)

    def evaluate(self, expression):
        # The page reloads itself: an evaluation that meets a navigation is tried again.
        for attempt in range(10):
            try:
                result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
            except RuntimeError:
                if attempt == 9:
                    raise
                self.drain(0.5)
                continue
            if "exceptionDetails" in result:
                raise RuntimeError(f"evaluate failed: {result['exceptionDetails']}")
            value = result["result"].get("value")
            if value is not None:
                return value
            self.drain(0.5)
        raise RuntimeError("the page did not answer an evaluation")

    def load(self, url):
        self.events = [e for e in self.events if e["method"] != "Page.loadEventFired"]
        self.call("Page.navigate", {"url": url})
        self.wait_event("Page.loadEventFired")

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})["data"]
        with open(path, "wb") as file:
            file.write(base64.b64decode(data))

    def close(self):
        try:
            self.send("Browser.close")
            self.process.wait(timeout=10)
        except Exception:
            self.process.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


DOM_STATE = """(() => {
  const text = (selector) => document.querySelector(selector)?.textContent.trim() ?? null;
  const task = document.querySelector('section[data-task="snat"]');
  return {
    title: document.title,
    version: text('#version'), identity: text('#identity'), leader: text('#leader'),
    tasks: [...document.querySelectorAll('section.task')].map(s => ({name: s.dataset.task, state: s.dataset.state})),
    snatText: task ? task.textContent : '',
    items: task ? [...task.querySelectorAll('li.item')].map(li => ({
      name: li.dataset.name, state: li.dataset.state,
      progress: li.querySelector('progress') ? Number(li.querySelector('progress').value) : null,
      text: li.textContent})) : [],
    counts: task ? Object.fromEntries([...task.querySelectorAll('.counts li')].map(
      li => [li.dataset.count, Number(li.querySelector('.value').textContent)])) : {},
    scripts: document.scripts.length,
    externalLinks: [...document.querySelectorAll('link[href], img[src], script[src], iframe')]
      .map(e => e.getAttribute('href') ?? e.getAttribute('src')).filter(u => !u.startsWith('data:')),
  };
})()"""


def main():
    os.makedirs(ARTEFACTS, exist_ok=True)
    browser = Browser()
    try:
        for domain in ["Page", "Runtime", "Log", "Network"]:
            browser.call(f"{domain}.enable")
        browser.call("Network.setCacheDisabled", {"cacheDisabled": True})

        # 1. While the demo's nodes are in their window.
        deadline = time.monotonic() + 90
        while True:
            browser.load(URL)
            state = browser.evaluate(DOM_STATE)
            healing = {i["name"] for i in state["items"] if i["state"] == "healing"}
            if healing == set(WINDOWS_NODES) or time.monotonic() > deadline:
                break
            time.sleep(1)
        browser.drain(1)
        print(json.dumps({k: v for k, v in state.items() if k not in ("snatText",)}, indent=1)[:3000])
        check(state["title"] == "cops-vigilante", "the page's title is cops-vigilante")
        check(healing == set(WINDOWS_NODES), f"every demo Windows node is listed healing: {sorted(healing)}")
        check(all(i["progress"] is not None and 0 <= i["progress"] <= 100 for i in state["items"] if i["state"] == "healing"),
              "each node in its window has a progress bar")
        check(all("pods created" in i["text"] for i in state["items"] if i["state"] == "healing"),
              "each node in its window shows its pods created")
        check(not any(n in state["snatText"] for n in LINUX_NODES), "Linux nodes are not listed")
        check({"name": "snat", "state": "idle"} in state["tasks"] or {"name": "snat", "state": "running"} in state["tasks"],
              f"the snat task is shown idle or running: {state['tasks']}")
        check(any(t["name"] == "evicted-pod-cleanup" for t in state["tasks"]), "every registered task is shown")
        check(state["leader"] == "this instance" and state["identity"] == "vigilante-demo",
              f"leader and identity are shown: {state['leader']!r}, {state['identity']!r}")
        check(bool(re.match(r"^\d+\.\d+\.\d+ \(commit ", state["version"] or "")),
              f"the version (vigilante --version) is shown: {state['version']!r}")
        check(state["scripts"] == 0 and state["externalLinks"] == [], "no script, no external asset in the DOM")
        browser.screenshot(os.path.join(ARTEFACTS, "status-page-healing.png"))

        # 2. The phone, in dark mode.
        browser.call("Emulation.setDeviceMetricsOverride",
                     {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True})
        browser.call("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
        browser.load(URL)
        overflow = browser.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        check(overflow, "no horizontal scrolling on a 390 px wide phone")
        dark = browser.evaluate("getComputedStyle(document.body).backgroundColor")
        check(dark == "rgb(18, 18, 20)", f"dark mode applies: body background {dark}")
        browser.screenshot(os.path.join(ARTEFACTS, "status-page-phone-dark.png"))
        browser.call("Emulation.clearDeviceMetricsOverride")
        browser.call("Emulation.setEmulatedMedia", {"features": []})

        # 3. Live: the same page, reloading itself, later shows the nodes healed.
        deadline = time.monotonic() + 150
        while True:
            browser.drain(2)  # the page's own meta refresh reloads it every 5 s
            state = browser.evaluate(DOM_STATE)
            if state["counts"].get("healed") == len(WINDOWS_NODES) or time.monotonic() > deadline:
                break
        check(state["counts"].get("healed") == len(WINDOWS_NODES),
              f"the page, refreshing itself, shows the Windows nodes healed: counts {state['counts']}")
        check(not any(i["state"] == "healing" for i in state["items"]), "no node is left in its window")
        browser.screenshot(os.path.join(ARTEFACTS, "status-page-healed.png"))

        # Everything the browser saw.
        browser.drain(1)
        requests = [e["params"]["request"]["url"] for e in browser.events if e["method"] == "Network.requestWillBeSent"]
        origin = URL.split("/", 3)[:3]
        foreign = [u for u in requests if u.split("/", 3)[:3] != origin and not u.startswith("data:")]
        check(requests and not foreign, f"{len(requests)} requests, all to the page itself: foreign {foreign}")
        check(all(u.rstrip("/") == URL.rstrip("/") for u in requests if not u.startswith("data:")),
              f"the page loads nothing but itself: {sorted(set(requests))}")
        responses = [e["params"]["response"] for e in browser.events if e["method"] == "Network.responseReceived"]
        csp = [{k.lower(): v for k, v in r["headers"].items()}.get("content-security-policy", "") for r in responses]
        check(responses and all("default-src 'none'" in c and "script-src" not in c for c in csp),
              f"every answer has the strict Content-Security-Policy: {csp[:1]}")
        check(all(r["mimeType"] == "text/html" and r["status"] == 200 for r in responses), "every answer is a 200 text/html")
        console = [e["params"] for e in browser.events if e["method"] in ("Runtime.consoleAPICalled", "Runtime.exceptionThrown")]
        logged = [e["params"]["entry"] for e in browser.events if e["method"] == "Log.entryAdded"]
        check(not console, f"no console message or exception: {console[:3]}")
        check(not logged, f"no browser log entry (CSP violation, failed load): {[(l['level'], l['text']) for l in logged[:3]]}")
    finally:
        browser.close()
    if failures:
        print(f"{len(failures)} status page check(s) failed", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
