"""Progress lines and the commands the harness runs (echoed, checked)."""

import subprocess
import time


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(cmd, **kwargs):
    log("$ " + " ".join(str(part) for part in cmd))
    subprocess.run([str(part) for part in cmd], check=True, **kwargs)
