/* mmscore — writing structures back out as text.
 *
 * Writers fill a caller-provided growable buffer so they can be used without
 * files (tests, pipes) and from any thread.  Every number is printed with
 * the fewest digits that read back as the same double, so read → write →
 * read is exact.  Writers append to `out`; on error it may hold a partial
 * text (the caller discards it). */
#ifndef MMSCORE_WRITER_H
#define MMSCORE_WRITER_H

#include "structure.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A growable text buffer.  Start it zeroed ({0}); release with
 * mms_buffer_free.  data is NUL-terminated whenever len > 0. */
typedef struct mms_buffer {
    char *data;  /* owned by the buffer */
    size_t len;
    size_t cap;
} mms_buffer;

MMS_EXPORT void mms_buffer_free(mms_buffer *b);

/* P1 CIF with the data items, order and layout pymatgen 2022.11's
 * CifWriter(structure) writes (block name, cell, formula structural/sum, Z,
 * symmetry loop, an _atom_type loop when every species is charged, atom_site
 * loop with labels, multiplicity 1 and occupancy), but with round-trip
 * digits instead of 8 decimals, and the species of a disordered site in the
 * structure's order (pymatgen sorts them).  docs/convert.md has the details. */
MMS_EXPORT int mms_write_cif(const mms_structure *s, mms_buffer *out, mms_error *err);

/* VASP 5 POSCAR (direct coordinates, each followed by its element symbol).
 * Consecutive sites of one element form one group; an element may repeat in
 * the symbol line, so site order is kept.  Oxidation states are dropped.
 * MMS_EUNSUPPORTED for a disordered structure (POSCAR has no occupancies). */
MMS_EXPORT int mms_write_poscar(const mms_structure *s, mms_buffer *out, mms_error *err);

/* Extended XYZ as ASE writes it: Cartesian positions with the lattice in the
 * comment line (Lattice="..." Properties=species:S:1:pos:R:3 pbc="T T T").
 * Ordered structures only (MMS_EUNSUPPORTED otherwise). */
MMS_EXPORT int mms_write_xyz(const mms_structure *s, mms_buffer *out, mms_error *err);

/* crystal-text-llm text: lengths line, angles line, then element and
 * fractional-coordinate lines.  full_precision = 0 prints what the
 * crystal-text-llm prompt format prints (lengths .1f, angles .0f, coordinates
 * .2f); 1 prints round-trip digits.  Ordered structures only
 * (MMS_EUNSUPPORTED otherwise). */
MMS_EXPORT int mms_write_text(const mms_structure *s, int full_precision, mms_buffer *out,
                              mms_error *err);

#ifdef __cplusplus
}
#endif
#endif
