"""Load a bundle: verify the manifest first, then read the spec and open an engine."""
import hashlib
import json
import os
from dataclasses import dataclass
from typing import Dict, List, Optional

from .spec import Spec

MANIFEST = "manifest.json"
SPEC = "spec.json"
SPEC_HASH_KEY = "mindflow_spec_sha256"


class BundleError(RuntimeError):
    """A bundle is incomplete, altered or does not fit this runtime."""


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_manifest(bundle_dir: str) -> Dict[str, Dict]:
    """sha256 and size of every file in the bundle (except the manifest itself)."""
    files = {}
    for root, _, names in os.walk(bundle_dir):
        for name in sorted(names):
            path = os.path.join(root, name)
            rel = os.path.relpath(path, bundle_dir)
            if rel == MANIFEST:
                continue
            files[rel] = {"sha256": sha256_file(path), "bytes": os.path.getsize(path)}
    manifest = {"manifest_version": 1, "files": dict(sorted(files.items()))}
    with open(os.path.join(bundle_dir, MANIFEST), "w") as fh:
        json.dump(manifest, fh, indent=1)
    return manifest


def verify_manifest(bundle_dir: str) -> Dict[str, Dict]:
    """Check every file against the manifest; raise BundleError naming the first bad one."""
    path = os.path.join(bundle_dir, MANIFEST)
    try:
        with open(path) as fh:
            files = json.load(fh)["files"]
    except (OSError, ValueError, KeyError) as exc:
        raise BundleError(f"{path}: missing or unreadable manifest ({exc})") from exc
    for rel, meta in files.items():
        full = os.path.join(bundle_dir, rel)
        if not os.path.isfile(full):
            raise BundleError(f"{full}: listed in the manifest but missing")
        if os.path.getsize(full) != meta["bytes"] or sha256_file(full) != meta["sha256"]:
            raise BundleError(f"{full}: sha256 differs from the manifest (file altered)")
    if SPEC not in files:
        raise BundleError(f"{path}: does not list {SPEC}")
    return files


@dataclass
class Bundle:
    """A verified bundle directory and its spec."""

    path: str
    spec: Spec
    spec_sha256: str

    def model_paths(self, name: str) -> List[str]:
        return [os.path.join(self.path, f) for f in self.spec.models[name].files]

    def engine(self, name: Optional[str] = None, threads: int = 1):
        """Open an inference engine on one of the bundle's model formats (default: onnx)."""
        from .engines import open_engine
        return open_engine(self, name or "onnx", threads)


def load_bundle(path: str) -> Bundle:
    """Verify and load a bundle directory."""
    if not os.path.isdir(path):
        raise BundleError(f"{path}: not a bundle directory")
    verify_manifest(path)
    spec_path = os.path.join(path, SPEC)
    spec = Spec.load(spec_path)
    return Bundle(path, spec, sha256_file(spec_path))
