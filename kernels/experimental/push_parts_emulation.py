# push_parts_emulation.py - lane-level emulation of the index math of
# decode_attn_push_parts.patch (kernels/experimental/README.md): every
# warp's staged records, their bulk copies to the owners and the owners'
# reads, for G = 1, 2, 4, 8 and clusters of 2-16; prints "bad 0" when every
# owner thread reads the right partial of the right dimension and every
# (head, dim) is covered. Run: python3 kernels/experimental/push_parts_emulation.py
# lane-level emulation of the experimental push (parts) index math
ATT_D=128; W=4
def parts_of(S,G): return 4 if S>=4*G else 2 if S>=2*G else 1
bad=0
for G in (1,2,4,8):
  for S in range(2,17):
    parts=parts_of(S,G); U=G*parts; ur=ATT_D//parts+4; qp=4//parts; slots=(U+S-1)//S
    n=ATT_D//parts
    own=lambda r: (U-1-r)//S+1 if r<U else 0
    bufs={r:{} for r in range(S)}
    for rank in range(S):
      for warp in range(W):
        p=rank*W+warp
        stage={}
        for lane in range(32):
          g,c=lane>>2,lane&3
          for e in (0,1):
            h=2*c+e
            if h>=G: continue
            for q in range(4):
              base=((q//qp)*G+h)*ur + 32*(q%qp)+4*g
              for r in range(4):
                stage[base+r]=('acc',rank,warp,h,32*q+8*r+g)
              if g==0 and q%qp==0:
                stage[((q//qp)*G+h)*ur+n]=('m',rank,warp,h,q//qp)
        for lane in range(32):
          if lane<U:
            u=lane; o=u%S; j=u//S
            for x in range(ur):
              if (u*ur+x) in stage:
                bufs[o][(p*slots+j)*ur+x]=stage[u*ur+x]
    seen=set()
    for rank in range(S):
      assert own(rank)<=slots
      for j in range(own(rank)):
        u=rank+S*j; h=u%G; kp=u//G
        for t in range(n):
          dim=32*(kp*qp+t//32)+8*(t&3)+((t>>2)&7)
          for pi in range(S*W):
            v=bufs[rank].get((pi*slots+j)*ur+t)
            mv=bufs[rank].get((pi*slots+j)*ur+n)
            exp=('acc',pi//W,pi%W,h,dim)
            if v!=exp or mv!=('m',pi//W,pi%W,h,kp): bad+=1
          seen.add((h,dim))
    if len(seen)!=G*ATT_D: bad+=1; print('coverage',G,S,len(seen))
    # buffer bound
    mx=max(k for r in bufs for k in bufs[r]) if any(bufs.values()) else 0
    if (mx+1)*4 > 4*(16+8-1)*132*4: bad+=1; print('overflow',G,S)
print('bad',bad)
