"""Build the served static files: ``assets/`` -> ``static/`` + a manifest.

``make assets`` (``python -m {{ cookiecutter.repo_name }}.scripts.fingerprint``)
copies each source file to a name that contains its content hash (``app.css`` ->
``app.1a2b3c4d5e.css``), writes a ``.gz`` beside every compressible file, and
records the names in ``static-manifest.json`` for Pyramid's
``ManifestCacheBuster``. ``--check`` only reports whether the output is current
(a test runs it).

Why a build step rather than hashing at start-up: the precompressed files have
to exist on disk anyway, the served directory then holds *only* fingerprinted
files (an old or unfingerprinted URL is a plain 404, never a stale file), a
reverse proxy can serve the same directory, and start-up does no work.
Standard library only: the cookiecutter hook runs this file as a script.
"""

import gzip
import hashlib
import json
import shutil
import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the project package
SOURCE = "assets"
OUTPUT = "static"
MANIFEST = "static-manifest.json"
COMPRESSIBLE = {".css", ".js", ".mjs", ".svg", ".json", ".txt", ".map", ".xml"}


def fingerprinted(relative, data):
    """``css/app.css`` -> ``css/app.<10 hex digits of sha256>.css``."""
    digest = hashlib.sha256(data).hexdigest()[:10]
    path = Path(relative)
    return (path.parent / f"{path.stem}.{digest}{path.suffix}").as_posix()


def sources(package_dir):
    root = package_dir / SOURCE
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            yield path.relative_to(root).as_posix(), path.read_bytes()


def expected_files(package_dir):
    """``({source name: served name}, {served name: bytes})`` for the sources."""
    manifest, files = {}, {}
    for relative, data in sources(package_dir):
        name = fingerprinted(relative, data)
        manifest[relative] = name
        files[name] = data
        if Path(relative).suffix in COMPRESSIBLE:
            files[name + ".gz"] = gzip.compress(data, compresslevel=9, mtime=0)
    return manifest, files


def build(package_dir=PACKAGE_DIR):
    """Rewrite ``static/`` from scratch: old fingerprints disappear."""
    manifest, files = expected_files(package_dir)
    output = package_dir / OUTPUT
    shutil.rmtree(output, ignore_errors=True)
    for name, data in files.items():
        target = output / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    (package_dir / MANIFEST).write_text(text, encoding="utf-8")
    return manifest


def problems(package_dir=PACKAGE_DIR):
    """What is out of date, as readable lines (empty when current)."""
    manifest, files = expected_files(package_dir)
    found = []
    manifest_path = package_dir / MANIFEST
    if not manifest_path.exists() or json.loads(manifest_path.read_text()) != manifest:
        found.append(f"{MANIFEST} does not match {SOURCE}/")
    output = package_dir / OUTPUT
    served = {
        path.relative_to(output).as_posix(): path
        for path in output.rglob("*")
        if path.is_file()
    }
    for name, data in files.items():
        path = served.pop(name, None)
        if path is None:
            found.append(f"missing {OUTPUT}/{name}")
        elif name.endswith(".gz"):
            if gzip.decompress(path.read_bytes()) != gzip.decompress(data):
                found.append(f"stale {OUTPUT}/{name}")
        elif path.read_bytes() != data:
            found.append(f"stale {OUTPUT}/{name}")
    found.extend(f"leftover {OUTPUT}/{name}" for name in sorted(served))
    return found


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--check"]:
        found = problems()
        for line in found:
            print(line)
        if found:
            print("run: python -m {{ cookiecutter.repo_name }}.scripts.fingerprint")
        return 1 if found else 0
    for source, name in build().items():
        print(f"{SOURCE}/{source} -> {OUTPUT}/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
