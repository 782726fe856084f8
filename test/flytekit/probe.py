"""Ground truth for flyte-doctor's client path: can flytekit's FlyteRemote reach flyteadmin?

Usage: probe.py CASES.json, a list of {"name", "config", "env"}: each case runs FlyteRemote with that
flytectl config file and FLYTE_* environment (as pyflyte would), one after another in this process
(flytekit is imported once). Prints one JSON line per case: {"name", "ok": true, "version"} or
{"name", "ok": false, "error", "cause"}. Variables that gRPC reads once per process
(GRPC_DEFAULT_SSL_ROOTS_FILE_PATH) must be given to the process itself, not per case.
"""
import json
import os
import sys
import time

from flytekit.configuration import Config
from flytekit.remote import FlyteRemote

BASE = {k: v for k, v in os.environ.items() if not k.startswith("FLYTE_")}

for case in json.load(open(sys.argv[1])):
    t0 = time.time()
    os.environ.clear()
    os.environ.update(BASE)
    os.environ.update(case.get("env") or {})
    try:
        remote = FlyteRemote(config=Config.auto(config_file=case["config"]), default_project="flytesnacks", default_domain="development")
        out = {"ok": True, "version": remote.client.get_control_plane_version()}
    except BaseException as e:  # noqa: BLE001 - every failure is the answer
        cause = e.__cause__ or e.__context__
        out = {"ok": False, "error": type(e).__name__, "message": str(e)[:300], "cause": (type(cause).__name__ + ": " + str(cause)[:600]) if cause else None}
    out["name"] = case["name"]
    out["seconds"] = round(time.time() - t0, 2)
    print(json.dumps(out), flush=True)
