#!/usr/bin/env python3
"""frag_emulation.py - session 18: a lane-level emulation (numpy) of the transposed QK of
kernels/decode_attn.cu (variants 4-7): ldmatrix and mma.sync m16n8k16 fragment ownership, the
row map sig(r) = r ^ ((r >> 1) & 4), the shuffles that move P into PV's B layout, and the
swizzle's bank groups, checked against Q K^T and P V on random data. Run with
/usr/bin/python3 (numpy); prints "QK ok", "PV ok", "banks ok" or fails an assert."""
import numpy as np
rng=np.random.default_rng(1)
G=4; BT=32; D=128
K=rng.standard_normal((BT,D)); V=rng.standard_normal((BT,D)); Q=np.zeros((8,D)); Q[:G]=rng.standard_normal((G,D))
sig=lambda r: r ^ ((r>>1)&4)
lanes=range(32)
def ldsm(addr_fn, mem, trans=False):
    # addr_fn(lane)->(row, chunk); returns regs[lane][i] = (lo, hi) values
    rows={}
    for L in lanes:
        rows[L]=addr_fn(L)
    out=[[None]*4 for _ in lanes]
    for L in lanes:
        g,c=L>>2,L&3
        for i in range(4):
            if not trans:
                r,ch=rows[8*i+g]
                out[L][i]=(mem[r,8*ch+2*c], mem[r,8*ch+2*c+1])
            else:
                r0,ch0=rows[8*i+2*c]; r1,ch1=rows[8*i+2*c+1]
                out[L][i]=(mem[r0,8*ch0+g], mem[r1,8*ch1+g])
    return out
def mma(C,A,B):
    # C[lane][4], A[lane][4 pairs], B[lane][2 pairs]; assemble matrices
    Am=np.zeros((16,16)); Bm=np.zeros((16,8))
    for L in lanes:
        g,c=L>>2,L&3
        for (reg,(r,k)) in zip(range(4),[(g,2*c),(g+8,2*c),(g,2*c+8),(g+8,2*c+8)]):
            Am[r,k],Am[r,k+1]=A[L][reg]
        for (reg,k) in zip(range(2),[2*c,2*c+8]):
            Bm[k,g],Bm[k+1,g]=B[L][reg]
    Cm=Am@Bm
    for L in lanes:
        g,c=L>>2,L&3
        C[L][0]+=Cm[g,2*c]; C[L][1]+=Cm[g,2*c+1]; C[L][2]+=Cm[g+8,2*c]; C[L][3]+=Cm[g+8,2*c+1]
# qa
qa=[[None]*8 for _ in lanes]
for L in lanes:
    g,c=L>>2,L&3
    for s in range(8):
        qa[L][s]=((Q[g,16*s+2*c],Q[g,16*s+2*c+1]),(Q[g,16*s+8+2*c],Q[g,16*s+9+2*c]))
sc=[[[0.0]*4 for _ in lanes] for mt in range(2)]
for mt in range(2):
    for s in range(8):
        A=ldsm(lambda L:(16*mt+sig((L&7)+8*((L>>3)&1)), 2*s+(L>>4)), K)
        mma(sc[mt],A,[qa[L][s] for L in lanes])
S=Q@K.T  # heads x tokens
for L in lanes:
    g,c=L>>2,L&3
    for mt in range(2):
        for h in range(2):
            tok=16*mt+sig(g+8*h)
            for e in range(2):
                assert abs(sc[mt][L][2*h+e]-S[2*c+e,tok])<1e-9
print("QK ok")
# P: arbitrary weights per head/token (heads>=G zero)
P=rng.random((8,BT)); P[G:]=0
pw=[[[None,None] for mt in range(2)] for L in lanes]
for L in lanes:
    g,c=L>>2,L&3
    for mt in range(2):
        for e in range(2):
            pw[L][mt][e]=(P[2*c+e,16*mt+sig(g)],P[2*c+e,16*mt+sig(g+8)])
o=[[[0.0]*4 for _ in lanes] for mt in range(8)]
for u in range(2):
    B=[]
    for L in lanes:
        g,c=L>>2,L&3
        s0=4*c+(g>>1)
        e0=pw[s0][u][0]; o0=pw[s0][u][1]; e1=pw[s0+16][u][0]; o1=pw[s0+16][u][1]
        B.append((o0 if g&1 else e0, o1 if g&1 else e1))
    for mt in range(8):
        vr=lambda L: sig(((L&7)>>1)+4*(L>>4)+8*(L&1))
        A=ldsm(lambda L:(16*u+vr(L), 2*mt+((L>>3)&1)), V, trans=True)
        mma(o[mt],A,B)
O=P@V # heads x dims
for L in lanes:
    g,c=L>>2,L&3
    for mt in range(8):
        for (reg,(dr,hd)) in zip(range(4),[(g,2*c),(g,2*c+1),(g+8,2*c),(g+8,2*c+1)]):
            assert abs(o[mt][L][reg]-O[hd,16*mt+dr])<1e-9,(L,mt,reg)
print("PV ok")
# bank check: swizzle groups
def bank(row,ch): return (ch^(row&7))&7
for mt in range(2):
  for s in range(8):
    for i in range(4):
        b=[bank(16*mt+sig(j+8*(i&1)),2*s+(i>>1)) for j in range(8)]
        assert len(set(b))==8
for u in range(2):
  for mt in range(8):
    for i in range(4):
        b=[bank(32+16*u+sig((j>>1)+4*(i>>1)+8*(j&1)),2*mt+(i&1)) for j in range(8)]
        assert len(set(b))==8,b
print("banks ok")
