#!/usr/bin/env python3
"""Make OCI images with hand-written (also hostile) layers, for the hardening tests.

ocimake.py [--plant STORE NAME:TAG] OUT LAYER...
  LAYER is a JSON list of entries {"name", "type": file|dir|symlink|char|fifo|hardlink,
  "data", "target", "uid", "gid", "mode", "major", "minor"}; or @FILE holding that JSON.
  Prints the manifest digest, then each layer's digest, one a line.
  OUT becomes an OCI layout (plain tar layers); with --plant the same blobs are also written
  straight into the strata store STORE and tagged NAME:TAG, bypassing `strata import` (to test
  what the store does with a blob an older or other writer put there)."""
import hashlib, io, json, os, sys, tarfile

TYPES = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE,
         "char": tarfile.CHRTYPE, "fifo": tarfile.FIFOTYPE, "hardlink": tarfile.LNKTYPE}


def layer_tar(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for e in entries:
            ti = tarfile.TarInfo(e["name"])
            ti.type = TYPES[e.get("type", "file")]
            ti.uid, ti.gid = e.get("uid", 0), e.get("gid", 0)
            ti.mode = e.get("mode", 0o755 if ti.type == tarfile.DIRTYPE else 0o644)
            ti.mtime = 0
            ti.devmajor, ti.devminor = e.get("major", 0), e.get("minor", 0)
            if "target" in e:
                ti.linkname = e["target"]
            data = e.get("data", "").encode()
            if ti.type == tarfile.REGTYPE:
                ti.size = len(data)
                tf.addfile(ti, io.BytesIO(data))
            else:
                tf.addfile(ti)
    return buf.getvalue()


def main():
    args = sys.argv[1:]
    plant = None
    if args and args[0] == "--plant":
        plant = (args[1], args[2])
        args = args[3:]
    out, specs = args[0], args[1:]
    blobs = {}

    def put(data):
        d = hashlib.sha256(data).hexdigest()
        blobs[d] = data
        return "sha256:" + d

    layers, diff_ids = [], []
    for spec in specs:
        if spec.startswith("@"):
            with open(spec[1:]) as f:
                spec = f.read()
        data = layer_tar(json.loads(spec))
        diff_ids.append(put(data))
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": diff_ids[-1],
                       "size": len(data)})
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                         "rootfs": {"type": "layers", "diff_ids": diff_ids}}, sort_keys=True).encode()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": put(config), "size": len(config)},
                           "layers": layers}, sort_keys=True).encode()
    md = put(manifest)
    os.makedirs(out + "/blobs/sha256", exist_ok=True)
    for d, data in blobs.items():
        with open(f"{out}/blobs/sha256/{d}", "wb") as f:
            f.write(data)
    with open(out + "/oci-layout", "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    with open(out + "/index.json", "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": len(manifest),
             "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}, f)
    if plant:
        store, name = plant
        os.makedirs(store + "/blobs/sha256", exist_ok=True)
        os.makedirs(store + "/tags", exist_ok=True)
        for d, data in blobs.items():
            with open(f"{store}/blobs/sha256/{d}", "wb") as f:
                f.write(data)
        enc = "".join(c if c.isalnum() or c in "_-" or (c == "." and i) else "%%%02X" % ord(c)
                      for i, c in enumerate(name))
        with open(f"{store}/tags/{enc}", "w") as f:
            f.write(md + "\n")
    print(md)
    for l in layers:
        print(l["digest"])


main()
