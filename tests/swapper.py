# swapper.py CTX SECRET STOPFILE SECONDS WHAT: until STOPFILE exists (at most SECONDS), swap the file
# CTX/a for a symlink to SECRET/a and back (WHAT a), or the directory CTX/d for a symlink to SECRET
# and back (WHAT d), in a tight loop
import os, sys, time
ctx, secret, stop, limit, what = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5]
a, d = os.path.join(ctx, 'a'), os.path.join(ctx, 'd')
keep_a, keep_d, tmp = os.path.join(ctx, '.keep-a'), os.path.join(ctx, '.keep-d'), os.path.join(ctx, '.tmp')
os.link(a, keep_a)
end, n = time.time() + limit, 0
while time.time() < end and not os.path.exists(stop):
    if what == 'a':
        os.symlink(os.path.join(secret, 'a'), tmp)
        os.rename(tmp, a)              # a is now a symlink out of the context
    else:
        os.rename(d, keep_d)
        os.symlink(secret, d)          # d is now a symlink out of the context
    time.sleep(0.0005)
    if what == 'a':
        os.link(keep_a, tmp)
        os.rename(tmp, a)              # the same file as before
    else:
        os.unlink(d)
        os.rename(keep_d, d)
    time.sleep(0.0005)
    n += 1
os.unlink(keep_a)
print(n)
