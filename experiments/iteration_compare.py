#!/usr/bin/env python3
"""Median iteration time by kind (decode-only by batch, full prefill chunks)
of result files, for comparing live and simulated runs iteration by
iteration: iteration_compare.py RUN.h5:POLICY [RUN.h5:POLICY ...]
(reads the per-iteration table with h5dump; no Python HDF5 module needed)."""
import re,subprocess,sys,statistics as st
def load(path, grp):
    out=subprocess.run(['h5dump','-d',f'/{grp}/iterations','-w','0',path],capture_output=True,text=True).stdout
    body=out[out.index('DATA {'):]
    recs=re.findall(r'\{([^{}]*)\}',body)
    rows=[]
    for r in recs:
        v=[x.strip().rstrip(',') for x in r.split('\n') if x.strip()]
        if len(v)<5: continue
        rows.append(dict(dur=float(v[1]),batch=int(v[2]),pf=int(v[3]),dec=int(v[4])))
    return rows
for path,grp in [(a.split(':')[0],a.split(':')[1]) for a in sys.argv[1:]]:
    rows=load(path,grp)
    dec=[r for r in rows if r['pf']==0]
    pf=[r for r in rows if r['pf']>=1900]
    print(path, 'n',len(rows))
    for lo,hi in [(1,2),(2,5),(5,10),(10,30)]:
        d=[r['dur'] for r in dec if lo<=r['dec']<hi]
        if d: print(f'  decode-only seqs[{lo},{hi}): n={len(d)} median {st.median(d)*1e3:.2f} ms')
    d=[r['dur'] for r in pf[1:]]
    if d: print(f'  prefill>=1900 tok: n={len(d)} median {st.median(d)*1e3:.2f} ms, mean tokens {st.mean(r["pf"] for r in pf):.0f} decodes {st.mean(r["dec"] for r in pf):.1f}')
