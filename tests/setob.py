# setob.py LAYOUT TAG JSON-LIST: set the image's config.OnBuild, rewriting config, manifest and index
import hashlib, json, os, sys
lay, tag, ob = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
def blob(d): return os.path.join(lay, 'blobs', *d.split(':'))
def put(b):
    d = 'sha256:' + hashlib.sha256(b).hexdigest()
    open(blob(d), 'wb').write(b)
    return d, len(b)
idx = json.load(open(os.path.join(lay, 'index.json')))
m = [x for x in idx['manifests'] if x.get('annotations', {}).get('org.opencontainers.image.ref.name') == tag][0]
man = json.load(open(blob(m['digest'])))
cfg = json.load(open(blob(man['config']['digest'])))
cfg.setdefault('config', {})['OnBuild'] = ob
man['config']['digest'], man['config']['size'] = put(json.dumps(cfg).encode())
m['digest'], m['size'] = put(json.dumps(man).encode())
json.dump(idx, open(os.path.join(lay, 'index.json'), 'w'))
