/* Structures from the JSONL that p1cif_to_jsonl.py writes (lattice rows,
 * sites with element, oxidation, occupancy, fractional position, label;
 * selected CIF tags and loops), for the structure/symmetry tests. */
#ifndef MMS_TEST_FIXTURE_STRUCTURES_H
#define MMS_TEST_FIXTURE_STRUCTURES_H

#include <cjson/cJSON.h>

#include "mmscore/structure.h"

/* *out is the caller's (mms_structure_free).  MMS_EPARSE on a record the
 * tool could not convert (its "error" is in err). */
int fixture_structure_from_json(const cJSON *rec, mms_structure **out, mms_error *err);

#endif
