"""PEP 517 / PEP 660 build backend for the inception package, standard library only.

pip runs it from this directory (pyproject.toml: backend-path), so `pip install` works with
no network and no setuptools. It writes a wheel, an sdist or an editable wheel from the
[project] table of pyproject.toml.

A wheel that bundles libinception: set config setting `bundle-library` (or the environment
variable INCEPTION_BUNDLE_LIBRARY) to the path of libinception.so.1; the file is stored as
inception/libinception.so.1 and the wheel is tagged for this platform. tools/build_wheel.sh
does this from a meson build directory. Runs on Python 3.7+.
"""
import base64
import hashlib
import io
import os
import re
import stat
import sys
import sysconfig
import tarfile
import time
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "inception"
LIBRARY_NAME = "libinception.so.1"


# --- pyproject.toml ------------------------------------------------------------------------
def _parse_toml_subset(text):
    """The part of TOML pyproject.toml uses here: [tables], strings, string lists and inline
    tables of strings. Only for Pythons without tomllib (before 3.11)."""
    data, table = {}, None
    pending = ""
    for raw in text.splitlines():
        line = pending + raw.split(" #")[0].strip() if pending else raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.count("[") > line.count("]"):  # a list continues on the next line
            pending = line + " "
            continue
        pending = ""
        m = re.match(r"^\[([^\]]+)\]$", line)
        if m:
            table = data
            for part in m.group(1).split("."):
                table = table.setdefault(part.strip().strip('"'), {})
            continue
        key, _, value = line.partition("=")
        (table if table is not None else data)[key.strip().strip('"')] = _toml_value(value.strip())
    return data


def _toml_value(v):
    if v.startswith('"'):
        return v[1:v.index('"', 1)]
    if v.startswith("["):
        return re.findall(r'"([^"]*)"', v)
    if v.startswith("{"):
        return dict(re.findall(r'(\w[\w-]*)\s*=\s*"([^"]*)"', v))
    if v in ("true", "false"):
        return v == "true"
    raise ValueError("pyproject.toml: unsupported value %r (needs Python 3.11's tomllib)" % v)


def _project():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        raw = f.read()
    try:
        import tomllib
        data = tomllib.loads(raw.decode("utf-8"))
    except ImportError:
        data = _parse_toml_subset(raw.decode("utf-8"))
    return data["project"]


def _license_file():
    """LICENSE beside pyproject.toml (an sdist), else the repository's."""
    for cand in (os.path.join(ROOT, "LICENSE"), os.path.join(ROOT, "..", "..", "LICENSE")):
        if os.path.isfile(cand):
            return cand
    return None


def _metadata(project):
    lines = [
        "Metadata-Version: 2.1",
        "Name: %s" % project["name"],
        "Version: %s" % project["version"],
    ]
    if project.get("description"):
        lines.append("Summary: %s" % project["description"])
    if project.get("requires-python"):
        lines.append("Requires-Python: %s" % project["requires-python"])
    lic = project.get("license")
    if isinstance(lic, dict) and lic.get("text"):
        lines.append("License: %s" % lic["text"])
    for dep in project.get("dependencies", []):
        lines.append("Requires-Dist: %s" % dep)
    for extra, deps in sorted(project.get("optional-dependencies", {}).items()):
        lines.append("Provides-Extra: %s" % extra)
        for dep in deps:
            lines.append('Requires-Dist: %s; extra == "%s"' % (dep, extra))
    body = ""
    readme = project.get("readme")
    if readme and os.path.isfile(os.path.join(ROOT, readme)):
        lines.append("Description-Content-Type: text/markdown")
        with open(os.path.join(ROOT, readme), encoding="utf-8") as f:
            body = "\n" + f.read()
    return ("\n".join(lines) + "\n" + body).encode("utf-8")


# --- wheel writing -------------------------------------------------------------------------
def _platform_tag():
    return re.sub(r"[^A-Za-z0-9]", "_", sysconfig.get_platform())


class _Wheel:
    def __init__(self, path):
        self.zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED)
        self.records = []

    def add(self, arcname, data, mode=0o644):
        info = zipfile.ZipInfo(arcname, date_time=(2020, 1, 1, 0, 0, 0))
        info.external_attr = (stat.S_IFREG | mode) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        self.zip.writestr(info, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
        self.records.append("%s,sha256=%s,%d" % (arcname, digest.decode(), len(data)))

    def close(self, record_name):
        self.records.append("%s,," % record_name)
        self.zip.writestr(zipfile.ZipInfo(record_name, date_time=(2020, 1, 1, 0, 0, 0)),
                          "\n".join(self.records) + "\n")
        self.zip.close()


def _package_files():
    pkg = os.path.join(ROOT, PACKAGE)
    for dirpath, dirnames, filenames in os.walk(pkg):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if name.endswith((".pyc", ".pyo")) or name == LIBRARY_NAME:
                continue
            full = os.path.join(dirpath, name)
            yield full, os.path.relpath(full, ROOT).replace(os.sep, "/")


def _bundled_library(config_settings):
    path = (config_settings or {}).get("bundle-library") or os.environ.get(
        "INCEPTION_BUNDLE_LIBRARY")
    if not path:
        return None
    if not os.path.isfile(path):
        raise FileNotFoundError("bundle-library: %s does not exist" % path)
    return os.path.realpath(path)


def _write_wheel(wheel_directory, files, tag, extra_dist_info=()):
    project = _project()
    name, version = project["name"], project["version"]
    dist_info = "%s-%s.dist-info" % (name, version)
    filename = "%s-%s-%s.whl" % (name, version, tag)
    path = os.path.join(wheel_directory, filename)
    wheel = _Wheel(path)
    try:
        for arcname, data, mode in files:
            wheel.add(arcname, data, mode)
        wheel.add(dist_info + "/METADATA", _metadata(project))
        pure = tag.endswith("-none-any")
        wheel.add(dist_info + "/WHEEL", (
            "Wheel-Version: 1.0\nGenerator: inception_backend\nRoot-Is-Purelib: %s\nTag: %s\n"
            % ("true" if pure else "false", tag)).encode())
        wheel.add(dist_info + "/top_level.txt", (PACKAGE + "\n").encode())
        lic = _license_file()
        if lic:
            with open(lic, "rb") as f:
                wheel.add(dist_info + "/LICENSE", f.read())
        for arcname, data in extra_dist_info:
            wheel.add(dist_info + "/" + arcname, data)
        wheel.close(dist_info + "/RECORD")
    except BaseException:
        wheel.zip.close()
        os.unlink(path)
        raise
    return filename


def _read(path):
    with open(path, "rb") as f:
        return f.read()


# --- PEP 517 hooks -------------------------------------------------------------------------
def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    files = [(arc, _read(full), 0o644) for full, arc in _package_files()]
    lib = _bundled_library(config_settings)
    if lib:
        files.append((PACKAGE + "/" + LIBRARY_NAME, _read(lib), 0o755))
        tag = "py3-none-" + _platform_tag()
    else:
        tag = "py3-none-any"
    return _write_wheel(wheel_directory, files, tag)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    # A .pth naming the source directory: edits take effect without reinstalling.
    files = [("__editable__.%s.pth" % PACKAGE, (ROOT + "\n").encode(), 0o644)]
    return _write_wheel(wheel_directory, files, "py3-none-any")


def build_sdist(sdist_directory, config_settings=None):
    project = _project()
    base = "%s-%s" % (project["name"], project["version"])
    filename = base + ".tar.gz"
    members = [("pyproject.toml", os.path.join(ROOT, "pyproject.toml"))]
    for extra in ("README.md",):
        if os.path.isfile(os.path.join(ROOT, extra)):
            members.append((extra, os.path.join(ROOT, extra)))
    lic = _license_file()
    if lic:
        members.append(("LICENSE", lic))
    for sub in (PACKAGE, "build_backend", "tests"):
        top = os.path.join(ROOT, sub)
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in sorted(filenames):
                if name.endswith((".pyc", ".pyo")) or name == LIBRARY_NAME:
                    continue
                full = os.path.join(dirpath, name)
                members.append((os.path.relpath(full, ROOT).replace(os.sep, "/"), full))
    path = os.path.join(sdist_directory, filename)
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        def add_bytes(arcname, data):
            info = tarfile.TarInfo(base + "/" + arcname)
            info.size, info.mode, info.mtime = len(data), 0o644, int(time.time())
            tar.addfile(info, io.BytesIO(data))
        for arcname, full in members:
            add_bytes(arcname, _read(full))
        add_bytes("PKG-INFO", _metadata(project))
    return filename


if __name__ == "__main__":
    # python3 inception_backend.py wheel|sdist OUT_DIR [LIBRARY]  (what tools/build_wheel.sh runs)
    if len(sys.argv) < 3 or sys.argv[1] not in ("wheel", "sdist"):
        sys.exit("usage: %s wheel|sdist OUT_DIR [libinception.so.1 to bundle]" % sys.argv[0])
    os.makedirs(sys.argv[2], exist_ok=True)
    if sys.argv[1] == "wheel":
        settings = {"bundle-library": sys.argv[3]} if len(sys.argv) > 3 else None
        print(os.path.join(sys.argv[2], build_wheel(sys.argv[2], settings)))
    else:
        print(os.path.join(sys.argv[2], build_sdist(sys.argv[2])))
