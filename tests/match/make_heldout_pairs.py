"""Held-out parity pairs: every ordered structure (<= 60 sites) of
../shared/fixtures/crystals/cif_corpus perturbed by 0.05 A, and by 0.3 A with
a supercell for small cells, written and read back with CifWriter, with
pymatgen 2022.11.7 verdicts in pairs.jsonl format.  Usage:
  python3 make_heldout_pairs.py OUT.jsonl   then   match_parity OUT.jsonl 1"""
import sys
import glob, json, warnings, numpy as np
warnings.filterwarnings("ignore")
from pymatgen.core import Structure
from pymatgen.io.cif import CifWriter
from pymatgen.analysis.structure_matcher import StructureMatcher, ElementComparator
out = open(sys.argv[1], 'w')
ms={"default":StructureMatcher(),"cdvae":StructureMatcher(stol=0.5,angle_tol=10,ltol=0.3),"supercell":StructureMatcher(attempt_supercell=True,comparator=ElementComparator())}
files=sorted(glob.glob('/work/shared/fixtures/crystals/cif_corpus/*.cif'))
np.random.seed(7)
for f in files:
    try:
        txt=open(f).read(); s=Structure.from_str(txt,fmt='cif')
    except Exception as e: continue
    if not s.is_ordered or len(s)>60: continue
    for k,(amp) in enumerate([0.05,0.3]):
        t=s.copy(); t.perturb(amp)
        if k==1: t.make_supercell([[1,1,0],[0,1,0],[0,0,1]]) if len(s)<20 else None
        cb=str(CifWriter(t)); ca=str(CifWriter(s))
        a=Structure.from_str(ca,fmt='cif'); b=Structure.from_str(cb,fmt='cif')
        res={}
        for n,m in ms.items():
            r=m.get_rms_dist(a,b)
            res[n]={"fit":bool(m.fit(a,b)),"fit_ba":bool(m.fit(b,a)),"rms":None if r is None else float(r[0]),"max_dist":None if r is None else float(r[1])}
        out.write(json.dumps({"id":f.split('/')[-1]+f":{k}","kind":"heldout","cif_a":ca,"cif_b":cb,"results":res})+"\n")
