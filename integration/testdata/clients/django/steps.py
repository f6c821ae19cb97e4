"""Runs django-storages' S3 storage through the Storage API, one step after
another, and prints one JSON line per step:
{"step": NAME, "ok": true, "value": ...} or {"step": NAME, "ok": false,
"error": TRACEBACK}. A failed step does not stop the next. The Go test
(integration/clients_test.go) checks the values and what the server holds.

Usage: steps.py SMALL_FILE BIG_FILE, with the environment settings.py reads."""

import hashlib
import io
import json
import sys
import traceback

import django

django.setup()

from django.core.files import File  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.core.files.storage import default_storage as storage  # noqa: E402
from django.core.management import call_command  # noqa: E402


def step(name, fn):
    try:
        value = fn()
    except Exception:
        print(json.dumps({"step": name, "ok": False, "error": traceback.format_exc()}), flush=True)
    else:
        print(json.dumps({"step": name, "ok": True, "value": value}), flush=True)


def save(small, big):
    names = []
    with open(small, "rb") as f:
        names.append(storage.save("small.bin", File(f)))
    with open(big, "rb") as f:
        names.append(storage.save("big.bin", File(f)))
    names.append(storage.save("sub/nested.txt", ContentFile(b"nested\n")))
    return names


def read(name):
    with storage.open(name, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def delete():
    storage.delete("sub/nested.txt")
    return storage.exists("sub/nested.txt")


def collectstatic():
    out = io.StringIO()
    call_command("collectstatic", interactive=False, verbosity=1, stdout=out)
    return out.getvalue()


def main(small, big):
    step("save", lambda: save(small, big))
    step("exists", lambda: [storage.exists("small.bin"), storage.exists("missing.bin")])
    step("open", lambda: [read("small.bin"), read("big.bin")])
    step("size", lambda: [storage.size("small.bin"), storage.size("big.bin")])
    step("listdir", lambda: storage.listdir(""))
    step("url", lambda: storage.url("small.bin"))
    step("delete", delete)
    step("collectstatic", collectstatic)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
