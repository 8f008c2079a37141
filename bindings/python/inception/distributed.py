"""Classify and embed a corpus on Dask, resumably, with the library on every worker.

Optional: importing this module needs numpy; running on a cluster needs Dask's
``distributed`` (Debian: python3-distributed). Without a client and without a default one,
the same job runs in this process and writes the same output, so a script works on a laptop
and on a cluster unchanged.

    from dask.distributed import Client, LocalCluster
    import inception.distributed as idist
    with Client(LocalCluster(n_workers=2, threads_per_worker=1)) as client:
        idist.embed(paths, "inception_v3.safetensors", client, out="emb/")
    features, index = idist.load("emb/")

Output directory (docs/distributed.md, shared with ``inception features --shard I/N``):
``manifest.json`` (the job: kind, model CRC-32, inputs' hash, shard count) and per shard
``shard-IIIII-of-NNNNN.jsonl`` (one JSON object per image: ``i`` its input position,
``path``, ``sha256`` of its bytes, ``status`` "ok" or "error", ``error``; for classify
``top``) and, for embeddings, ``shard-IIIII-of-NNNNN.npy`` (float32 [count, features]; a
failed image's row is NaN). The .jsonl of a shard is renamed into place last, so a shard
whose .jsonl exists is complete: running the same call again on the same ``out`` skips it.
"""
import hashlib
import json
import os
import re
import threading

import numpy as np

from . import core as _core
from .errors import InceptionError, InvalidArgument

__all__ = ["embed", "classify", "load", "shard_range", "shard_name", "FORMAT",
           "FORMAT_VERSION", "MAX_IMAGE_BYTES"]

FORMAT = "inception-shards"
FORMAT_VERSION = 1
#: Images larger than this are recorded as errors instead of being read into memory.
MAX_IMAGE_BYTES = 256 << 20

# Dask settings for clusters that run inference jobs: they turn off per-process background
# work such a job does not need (the statistical profiler samples every thread every 10 ms,
# the event-loop health check ticks every 20 ms, the system monitor every 500 ms). Idle CPU
# measured with 2 workers on a LocalCluster: 4.0% -> 1.0% of a core per worker, 4.8% -> 2.6%
# for the scheduler (in the client's process). Use: dask.config.set(QUIET_CONFIG) before the
# cluster starts (or the same keys in the workers' distributed.yaml / environment).
QUIET_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
}
_SHARD_RE = re.compile(r"^shard-(\d{5,})-of-(\d{5,})\.jsonl$")


def shard_range(index, count, total):
    """(start, stop) of shard `index` of `count` over `total` inputs: contiguous blocks whose
    sizes differ by at most one, the same split as ``inception ... --shard I/N``."""
    if count < 1 or not 0 <= index < count:
        raise InvalidArgument("shard %d/%d: need 0 <= I < N" % (index, count))
    return index * total // count, (index + 1) * total // count


def shard_name(index, count):
    """File stem of a shard: shard-00003-of-00010."""
    return "shard-%05d-of-%05d" % (index, count)


# --- worker side -------------------------------------------------------------------------

_MODELS = {}          # model key -> (Model, threading.local of sessions)
_MODELS_LOCK = threading.Lock()


def _model_state(spec):
    """This process's copy of the job's model, loaded once; one session per thread."""
    key = spec["model_key"]
    with _MODELS_LOCK:
        state = _MODELS.get(key)
        if state is None:
            src = spec["model"]
            kw = dict(spec.get("model_options") or {})
            if "://" in src:
                model = _core.Model(_read_url(src, None), **kw)
            else:
                model = _core.Model(src, **kw)
            state = (model, threading.local())
            _MODELS[key] = state
    return state


def _session(spec):
    model, local = _model_state(spec)
    sessions = local.__dict__.setdefault("sessions", {})
    key = (spec["kind"], spec["threads"])
    if key not in sessions:
        outputs = ["features"] if spec["kind"] == "embed" else ["probabilities"]
        sessions[key] = model.session(threads=spec["threads"], outputs=outputs)
    return sessions[key]


def _read_url(url, limit):
    try:
        import fsspec
    except ImportError:
        raise InvalidArgument("%s: reading URLs needs fsspec (Debian: python3-fsspec)" % url)
    with fsspec.open(url, "rb") as f:
        data = f.read(limit + 1 if limit else -1)
    return data


def _read(path):
    if "\0" in path:
        raise InvalidArgument("path contains a NUL character")
    if "://" in path:
        data = _read_url(path, MAX_IMAGE_BYTES)
    else:
        with open(path, "rb") as f:
            data = f.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise InvalidArgument("file is larger than %d bytes" % MAX_IMAGE_BYTES)
    return data


def _error_text(e):
    if isinstance(e, OSError) and e.strerror:
        return "%s: %s" % (type(e).__name__, e.strerror)
    return "%s: %s" % (type(e).__name__, e)


def _run_shard(spec):
    """Run one shard's images on this worker: returns (rows, features or None). Never raises
    for a bad image; a failure of the model or session itself does raise (and Dask retries
    the task elsewhere)."""
    session = _session(spec)
    model = session.model
    kind, k, batch = spec["kind"], spec["k"], spec["batch_size"]
    rows, images = [], []
    for j, path in enumerate(spec["paths"]):
        row = {"i": spec["start"] + j, "path": path, "sha256": None, "status": "ok",
               "error": None}
        try:
            data = _read(path)
            row["sha256"] = hashlib.sha256(data).hexdigest()
            images.append((j, _core.Image(data)))
        except (InceptionError, OSError, ValueError) as e:
            row["status"], row["error"] = "error", _error_text(e)
        rows.append(row)
    feats = None
    if kind == "embed":
        feats = np.full((len(rows), model.feature_size), np.nan, dtype=np.float32)
    for b in range(0, len(images), batch):
        part = images[b:b + batch]
        good, tensor = [], model.create_input(len(part))
        try:
            # Preprocess each image alone, so one that fails leaves the others in the batch
            # (its slot stays zero and its output row is dropped).
            for j, img in part:
                try:
                    model.preprocess(img, out=tensor, index=len(good))
                    good.append(j)
                except InceptionError as e:
                    rows[j]["status"], rows[j]["error"] = "error", _error_text(e)
            if not good:
                continue
            if kind == "embed":
                out = session.features(tensor)
                feats[good] = np.asarray(out, dtype=np.float32)[:len(good)]
            else:
                probs = session.probabilities(tensor)[:len(good)]
                for j, p in zip(good, probs):
                    top = session._top(p, k)
                    rows[j]["top"] = [{"class": q.index, "label": q.label,
                                       "probability": q.probability} for q in top]
        finally:
            tensor.close()
            for _, img in part:
                img.close()
    return rows, feats


class _ModelPlugin:
    """Dask worker plugin: loads the job's model once per worker process at setup, so the
    first task does not pay for it and a restarted worker loads it again by itself."""

    def __init__(self, spec):
        self.spec = {k: spec[k] for k in ("model", "model_key", "model_options", "kind")}
        self.name = "inception-model-" + spec["model_key"]

    def setup(self, worker=None):
        _model_state(self.spec)

    def teardown(self, worker=None):
        with _MODELS_LOCK:
            _MODELS.pop(self.spec["model_key"], None)


# --- driver side -------------------------------------------------------------------------

def _write_atomic(path, write):
    tmp = "%s.tmp-%d" % (path, os.getpid())
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _write_shard(out, name, rows, feats):
    if feats is not None:
        _write_atomic(os.path.join(out, name + ".npy"), lambda f: np.save(f, feats))
    text = "".join(json.dumps(r, ensure_ascii=False, allow_nan=False) + "\n" for r in rows)
    _write_atomic(os.path.join(out, name + ".jsonl"), lambda f: f.write(text.encode("utf-8")))


def _shard_done(out, name, kind):
    if not os.path.exists(os.path.join(out, name + ".jsonl")):
        return False
    return kind != "embed" or os.path.exists(os.path.join(out, name + ".npy"))


def _default_client(client):
    if client is not None:
        return client
    try:
        from distributed import default_client
        return default_client()
    except (ImportError, ValueError):
        return None


def _threads_per_session(client, threads):
    """Threads for each worker thread's session: the cores of a host divided among all the
    worker threads Dask runs on it, so workers x threads never oversubscribe the cores."""
    if threads:
        return int(threads)
    if client is None:
        return 0  # in-process: the library's default (online cores)
    info = client.scheduler_info().get("workers", {})
    per_host = {}
    for w in info.values():
        per_host[w.get("host")] = per_host.get(w.get("host"), 0) + int(w.get("nthreads", 1))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    busiest = max(per_host.values()) if per_host else 1
    return max(1, (cores or 1) // busiest)


def _job(kind, paths, model, client, out, k, batch_size, task_size, threads, model_options,
         progress, overwrite):
    if not isinstance(model, (str, os.PathLike)):
        raise InvalidArgument("model must be a path or URL visible to the workers")
    model = os.fspath(model)
    paths = [os.fspath(p) for p in paths]
    for p in paths:
        if not isinstance(p, str):
            raise InvalidArgument("paths must be str or os.PathLike, got %r" % (p,))
    if task_size < 1 or batch_size < 1 or (kind == "classify" and k < 1):
        raise InvalidArgument("task_size, batch_size and k must be at least 1")
    if out is None:
        raise InvalidArgument("out: a directory for the shards is required")
    out = os.fspath(out)
    os.makedirs(out, exist_ok=True)

    # The model's identity: its data CRC-32 (read by loading it here once).
    with (_core.Model(_read_url(model, None), **(model_options or {})) if "://" in model
          else _core.Model(model, **(model_options or {}))) as m:
        crc, classes, nfeat = m.crc32, m.classes, m.feature_size
        if kind == "classify":
            k = min(k, classes)
    n = len(paths)
    n_shards = max(1, -(-n // task_size))
    inputs_hash = hashlib.sha256("\0".join(paths).encode("utf-8", "surrogatepass")).hexdigest()
    manifest = {"format": FORMAT, "version": FORMAT_VERSION, "kind": kind,
                "model": {"path": model, "crc32": crc, "classes": classes,
                          "features": nfeat, "options": model_options or {}},
                "k": k if kind == "classify" else None, "inputs": n,
                "inputs_sha256": inputs_hash, "task_size": task_size, "shards": n_shards}
    mpath = os.path.join(out, "manifest.json")
    if os.path.exists(mpath):
        with open(mpath, encoding="utf-8") as f:
            old = json.load(f)
        same = all(old.get(key) == manifest[key] for key in
                   ("format", "version", "kind", "k", "inputs", "inputs_sha256", "task_size",
                    "shards")) and old.get("model", {}).get("crc32") == crc
        if not same and not overwrite:
            raise InvalidArgument("%s holds another job (different inputs, model or settings); "
                                  "use a new directory or overwrite=True" % out)
        if not same:
            for name in os.listdir(out):
                if _SHARD_RE.match(name) or name.endswith(".npy") and name.startswith("shard-"):
                    os.unlink(os.path.join(out, name))
    _write_atomic(mpath, lambda f: f.write(json.dumps(dict(manifest, complete=False),
                                                      indent=1).encode()))

    client = _default_client(client)
    spec0 = {"kind": kind, "model": model, "model_options": model_options or {},
             "model_key": "%08x-%s" % (crc, hashlib.sha256(json.dumps(
                 [model, model_options or {}], sort_keys=True).encode()).hexdigest()[:12]),
             "k": k, "batch_size": int(batch_size),
             "threads": _threads_per_session(client, threads)}
    todo = []
    for i in range(n_shards):
        name = shard_name(i, n_shards)
        if not _shard_done(out, name, kind):
            start, stop = shard_range(i, n_shards, n)
            todo.append((name, dict(spec0, start=start, paths=paths[start:stop])))
    done_images = n - sum(len(s["paths"]) for _, s in todo)
    if progress:
        progress(done_images, n)

    def finished(name, result):
        nonlocal done_images
        rows, feats = result
        _write_shard(out, name, rows, feats)
        done_images += len(rows)
        if progress:
            progress(done_images, n)

    if client is None:
        for name, spec in todo:
            finished(name, _run_shard(spec))
    elif todo:
        from distributed import as_completed
        plugin = _ModelPlugin(spec0)
        # Registering again replaces the plugin: teardown then setup, a model reload on every
        # worker for each call. The scheduler keeps a registered plugin for workers that join
        # later, so register only when a worker lacks it.
        have = client.run(lambda dask_worker, name=plugin.name: name in dask_worker.plugins)
        if not have or not all(have.values()):
            client.register_worker_plugin(plugin, name=plugin.name)
        futures = {}
        for name, spec in todo:
            fut = client.submit(_run_shard, spec, key="inception-%s-%s-%s" % (
                kind, inputs_hash[:16], name), pure=False, retries=2)
            futures[fut] = name
        for fut in as_completed(list(futures)):
            finished(futures[fut], fut.result())
            fut.release()

    summary = _summary(out, manifest)
    _write_atomic(mpath, lambda f: f.write(json.dumps(dict(manifest, complete=True,
                                                           ok=summary["ok"],
                                                           errors=summary["errors"]),
                                                      indent=1).encode()))
    summary["skipped_shards"] = n_shards - len(todo)
    return summary


def _summary(out, manifest):
    ok = err = 0
    for i in range(manifest["shards"]):
        with open(os.path.join(out, shard_name(i, manifest["shards"]) + ".jsonl"),
                  encoding="utf-8") as f:
            for line in f:
                if json.loads(line)["status"] == "ok":
                    ok += 1
                else:
                    err += 1
    return {"out": out, "images": manifest["inputs"], "shards": manifest["shards"],
            "ok": ok, "errors": err}


def embed(paths, model, client=None, *, out, batch_size=16, task_size=256, threads=None,
          model_options=None, progress=None, overwrite=False):
    """Embed every image of `paths` (local paths or fsspec URLs the workers can read) with
    the model at `model` (a path or URL visible to the workers), writing shards to `out`.

    client: a distributed.Client; None uses the default client if there is one, else runs
    in this process. task_size images per task (and shard); batch_size images per session
    run; threads per session (default: a host's cores divided among its worker threads).
    model_options: keyword arguments for inception.Model (backend, preset, ...).
    progress(done, total) is called as shards finish. Re-running the same call skips the
    shards already written; a different job in the same `out` is refused unless
    overwrite=True. Returns a summary dict (images, shards, ok, errors, skipped_shards)."""
    return _job("embed", paths, model, client, out, 0, batch_size, task_size, threads,
                model_options, progress, overwrite)


def classify(paths, model, client=None, *, out, k=5, batch_size=16, task_size=256,
             threads=None, model_options=None, progress=None, overwrite=False):
    """Like embed(), but each image's top-k classes go into the shards' JSON Lines index
    (``top``: a list of {class, label, probability}; label is null without labels)."""
    return _job("classify", paths, model, client, out, int(k), batch_size, task_size,
                threads, model_options, progress, overwrite)


def load(out, *, allow_partial=False):
    """All shards of `out` in input order: (features, index). features is a float32 array
    [N, F] (NaN rows for failed images; None for a classify job); index is a list of the
    per-image dicts. Refuses an incomplete directory unless allow_partial (then only the
    finished shards are returned, still in input order)."""
    out = os.fspath(out)
    found = {}
    for name in os.listdir(out):
        m = _SHARD_RE.match(name)
        if m:
            found.setdefault(int(m.group(2)), []).append(int(m.group(1)))
    if not found:
        raise InvalidArgument("%s holds no shards" % out)
    if len(found) > 1:
        raise InvalidArgument("%s mixes shard counts %s" % (out, sorted(found)))
    (n_shards, present), = found.items()
    missing = sorted(set(range(n_shards)) - set(present))
    if missing and not allow_partial:
        raise InvalidArgument("%s: %d of %d shards missing (first: %s)" % (
            out, len(missing), n_shards, shard_name(missing[0], n_shards)))
    index, feats = [], []
    for i in sorted(present):
        name = shard_name(i, n_shards)
        with open(os.path.join(out, name + ".jsonl"), encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
        index.extend(rows)
        npy = os.path.join(out, name + ".npy")
        if os.path.exists(npy):
            a = np.load(npy, allow_pickle=False)
            if a.ndim != 2 or a.shape[0] != len(rows):
                raise InvalidArgument("%s: %d rows for %d index entries" % (npy, a.shape[0],
                                                                            len(rows)))
            feats.append(a)
        elif feats:
            raise InvalidArgument("%s: missing its .npy" % name)
    positions = [r["i"] for r in index]
    if positions != sorted(positions) or len(set(positions)) != len(positions):
        raise InvalidArgument("%s: shards overlap or are out of order" % out)
    features = np.concatenate(feats) if feats else None
    return features, index
