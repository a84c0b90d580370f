import numpy as np, sys, time
rng=np.random.default_rng(0)
K,n,R=int(sys.argv[1]),int(sys.argv[2]),int(sys.argv[3]); beta=float(sys.argv[4]); lr=float(sys.argv[5]); steps=int(sys.argv[6])
corr=len(sys.argv)>7 and sys.argv[7]=="corr"
anti=not (len(sys.argv)>8 and sys.argv[8]=="soft")
W=(25/np.sqrt(n))*rng.standard_normal((K,n)).astype(np.float32)
if corr:
    # low-rank correlated inputs: 32 latent factors + noise, then standardised
    A=rng.standard_normal((n,32)).astype(np.float32)/np.sqrt(32)
t=time.time()
for it in range(steps+1):
    if corr:
        X=A@rng.standard_normal((32,R)).astype(np.float32)*np.sqrt(0.8)+np.sqrt(0.2)*rng.standard_normal((n,R)).astype(np.float32)
    else:
        X=rng.standard_normal((n,R)).astype(np.float32)
    nr=np.linalg.norm(W,axis=1)
    if it%int(sys.argv[9] if len(sys.argv)>9 else 250)==0:
        d=np.abs(nr-1); print(it, 'mean|r-1|=%.3f'%d.mean(), 'median r=%.2f'%np.median(nr), 'min=%.2f max=%.2f'%(nr.min(),nr.max()), 'frac<2: %.3f'%(d<1).mean(), '%.0fs'%(time.time()-t), flush=True)
    u=W@X
    win=u.argmax(0)
    z=beta*(u-u.max(0,keepdims=True)); e=np.exp(z); s=e/e.sum(0,keepdims=True)
    y=-s if anti else s.copy()
    if anti: y[win,np.arange(R)]*=-1
    dW=y@X.T-(y*u).sum(1)[:,None]*W
    dW/=np.abs(dW).max()+1e-30
    eta=lr*(np.abs(nr-1)+1e-10)**0.5
    W+=eta[:,None]*dW
