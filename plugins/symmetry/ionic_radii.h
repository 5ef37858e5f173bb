/* pymatgen 2022.11.7's average cationic and anionic radii per element
 * (Å; 0 where pymatgen has none), indexed by Z: [z][0] cationic, [z][1]
 * anionic.  Generated data: tools/gen_ionic_radii.py. */
#ifndef SYM_IONIC_RADII_H
#define SYM_IONIC_RADII_H

extern const double sym_ionic_radii[119][2];

#endif
