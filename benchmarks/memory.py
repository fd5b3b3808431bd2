"""Peak memory of a process and of its children, from their own high-water marks (VmHWM in /proc, Linux).

getrusage's ru_maxrss is not used: Linux carries it across fork and exec, so a child started by a large
process would report that process's size, not its own.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path


def _vm_hwm_mb(pid: int | str) -> float:
    """A process's peak resident memory (VmHWM), in MB; 0 if it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    return next((int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM:")), 0.0)


def own_peak_mb() -> float:
    return _vm_hwm_mb("self")


class ChildrenPeak:
    """Samples the peak memory of this process's children (ffmpeg) every 20 ms while the block runs.

    VmHWM only grows, so a sample misses at most what a child adds in its last 20 ms.
    """

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _children(self) -> list[str]:
        me = str(os.getpid())
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    # /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so split after ')'
                    if (entry / "stat").read_text().rsplit(")", 1)[1].split()[1] == me:
                        found.append(entry.name)
                except (OSError, IndexError):
                    continue
        return found

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            for pid in self._children():
                self.peak_mb = max(self.peak_mb, _vm_hwm_mb(pid))

    def __enter__(self) -> ChildrenPeak:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def run_in_child(root: Path, module: str, spec: dict, what: str) -> dict:
    """`module._worker(spec)` in a fresh Python process (so its peak memory is its own); its JSON result."""
    import json
    import subprocess
    import sys

    code = (f"import json, sys; from {module} import _worker; "
            "print('RESULT ' + json.dumps(_worker(json.loads(sys.argv[1]))))")
    env = {**os.environ, "PYTHONPATH": str(root), "PIPELINE_PROGRESS": "0"}
    done = subprocess.run([sys.executable, "-c", code, json.dumps(spec)], cwd=root, env=env,
                          capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"benchmark run {what} failed:\n{done.stderr[-2000:]}")
    return json.loads(lines[-1].removeprefix("RESULT "))
