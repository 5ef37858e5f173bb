// Open Babel reader plugin: periodic structure formats other than CIF
// (VASP POSCAR/CONTCAR, extended XYZ, PDB CRYST1, CML, CASTEP, PWscf, ShelX...)
// turned into the core's structure model.
//
// This is mmscore's one C++ file: Open Babel 3 has only a C++ API, so the
// plugin wraps it and exposes nothing but the plugin ABI's C entry point.
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include <strings.h>
#include <unistd.h>

#include <openbabel/atom.h>
#include <openbabel/generic.h>
#include <openbabel/math/spacegroup.h>
#include <openbabel/mol.h>
#include <openbabel/obconversion.h>
#include <openbabel/obiter.h>
#include <openbabel/oberror.h>

#include "mmscore/plugin.h"

namespace {

// Formats whose Open Babel reader can carry a unit cell (OBUnitCell), by the
// name mmscore uses (also the file extension) and Open Babel's format id.
// Only these are offered: a structure without a cell cannot be scored.
// "xyz"/"extxyz" are the extended XYZ of ASE and mmscore's writer (the cell
// as Lattice="..." in the comment line), which Open Babel 3.1.1's xyz reader
// does not know: the plugin reads the atoms with it and the cell itself (see
// extxyz_cell).  Open Babel's own "exyz" is another format (ORCA-AICCM:
// %PBC in the comment line, Vector1..3 and Offset lines after the atoms).
struct Format {
    const char *name;
    const char *ob_id;
};
const Format kFormats[] = {
    {"poscar", "POSCAR"}, {"contcar", "CONTCAR"}, {"vasp", "VASP"},
    {"xyz", "xyz"},       {"extxyz", "xyz"},      {"exyz", "exyz"},
    {"pdb", "pdb"},       {"cml", "cml"},         {"castep", "castep"},
    {"pwscf", "pwscf"},   {"res", "res"},         {"ins", "ins"},
    {"car", "car"},       {"arc", "arc"},         {"gro", "gro"},
    {"fract", "fract"},   {"fhiaims", "fhiaims"}, {"dmol", "dmol"},
    {"outmol", "outmol"}, {"cif", "cif"},         {"mcif", "mcif"},
};
// Space-separated copy of the names above, for the descriptor.
const char kFormatList[] =
    "poscar contcar vasp xyz exyz extxyz pdb cml castep pwscf res ins car arc gro fract "
    "fhiaims dmol outmol cif mcif";

// Open Babel keeps global, unsynchronised state (format registry, error log):
// one read at a time.
std::mutex ob_mutex;

const Format *find_format(const char *name)
{
    if (!name)
        return nullptr;
    for (const Format &f : kFormats)
        if (strcasecmp(f.name, name) == 0)
            return &f;
    return nullptr;
}

// The first error Open Babel logged during this read, for the record's error.
std::string ob_last_error()
{
    std::vector<std::string> msgs = OpenBabel::obErrorLog.GetMessagesOfLevel(OpenBabel::obError);
    if (msgs.empty())
        return std::string();
    std::string m = msgs.back();
    // Open Babel's messages are framed by "=====" lines and newlines.
    std::string out;
    for (char c : m)
        if (c != '=' && c != '\n' && c != '\r')
            out += c;
    size_t a = out.find_first_not_of(' ');
    return a == std::string::npos ? std::string() : out.substr(a);
}

// The cell of an extended-XYZ frame: Lattice="ax ay az bx by bz cx cy cz" in
// its comment line (the second line from `frame`), rows a, b, c as ASE
// writes them.  MMS_OK also when the comment line has no Lattice key (no
// cell); MMS_EPARSE with err filled when its value is not nine numbers.
int extxyz_cell(const char *frame, const char *end, OpenBabel::OBMol &mol, mms_error *err)
{
    const char *nl = static_cast<const char *>(memchr(frame, '\n', (size_t)(end - frame)));
    if (!nl)
        return MMS_OK;
    const char *line = nl + 1;
    const char *line_end = static_cast<const char *>(memchr(line, '\n', (size_t)(end - line)));
    std::string comment(line, line_end ? line_end : end);
    size_t at = comment.find("Lattice=");
    if (at == std::string::npos)
        return MMS_OK;
    const char *p = comment.c_str() + at + 8;
    char quote = (*p == '"' || *p == '\'') ? *p++ : 0;
    double v[9];
    for (int i = 0; i < 9; i++) {
        char *e = nullptr;
        v[i] = strtod(p, &e);
        if (e == p || !std::isfinite(v[i]))
            return mms_error_set(err, MMS_EPARSE, 0, "Lattice= in the comment line needs nine numbers");
        p = e;
    }
    while (*p == ' ' || *p == '\t')
        p++;
    if (quote && *p != quote)
        return mms_error_set(err, MMS_EPARSE, 0, "Lattice= in the comment line needs nine numbers");
    OpenBabel::OBUnitCell *uc = new OpenBabel::OBUnitCell;
    uc->SetData(OpenBabel::vector3(v[0], v[1], v[2]), OpenBabel::vector3(v[3], v[4], v[5]),
                OpenBabel::vector3(v[6], v[7], v[8]));
    mol.SetData(uc);
    return MMS_OK;
}

// Open Babel 3.1.1's VASP reader trusts its input: it indexes the tokens of
// a coordinate line without checking there are three and sums the counts
// line into an unsigned total (a negative count makes it loop for billions
// of atoms).  So the layout is checked here first: a title, a scale, three
// lattice rows of three numbers, optional symbols, positive counts (their
// total within max_sites), an optional "Selective dynamics" line, the
// coordinate-mode line and one line of three numbers per atom.  MMS_OK,
// or MMS_EPARSE with what is wrong in err.
int poscar_precheck(const char *text, size_t len, size_t max_sites, mms_error *err)
{
    std::vector<std::string> lines;
    std::string cur;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\n') {
            lines.push_back(cur);
            cur.clear();
        } else if (text[i] != '\r') {
            cur += text[i];
        }
    }
    lines.push_back(cur);
    auto numbers = [](const std::string &l, int want) {
        const char *p = l.c_str();
        for (int k = 0; k < want; k++) {
            char *e = nullptr;
            double v = strtod(p, &e);
            if (e == p || !std::isfinite(v))
                return false;
            p = e;
        }
        return true;
    };
    if (lines.size() < 6 || !numbers(lines[1], 1))
        return mms_error_set(err, MMS_EPARSE, 0,
                             "a POSCAR starts with a title line and a scale factor line");
    for (int i = 2; i < 5; i++)
        if (!numbers(lines[(size_t)i], 3))
            return mms_error_set(err, MMS_EPARSE, 0, "line %d: a lattice vector needs three numbers",
                                 i + 1);
    size_t at = 5;
    std::istringstream first(lines[at]);
    std::string tok;
    if ((first >> tok) && isalpha(static_cast<unsigned char>(tok[0])))
        at++; // element symbols
    if (at >= lines.size())
        return mms_error_set(err, MMS_EPARSE, 0, "the POSCAR has no atom counts line");
    std::istringstream counts(lines[at]);
    unsigned long long total = 0;
    size_t n_counts = 0;
    while (counts >> tok) {
        char *e = nullptr;
        long c = strtol(tok.c_str(), &e, 10);
        if (*e || c <= 0)
            return mms_error_set(err, MMS_EPARSE, 0,
                                 "line %zu: atom counts must be positive integers", at + 1);
        total += (unsigned long long)c;
        n_counts++;
        if (total > max_sites)
            return mms_error_set(err, MMS_EPARSE, 0,
                                 "more atoms than the limit of %zu (--max-atoms)", max_sites);
    }
    if (!n_counts)
        return mms_error_set(err, MMS_EPARSE, 0, "the POSCAR has no atom counts");
    at++;
    if (at < lines.size() && (lines[at][0] == 'S' || lines[at][0] == 's'))
        at++;
    at++; // Direct / Cartesian
    for (unsigned long long k = 0; k < total; k++, at++)
        if (at >= lines.size() || !numbers(lines[at], 3))
            return mms_error_set(err, MMS_EPARSE, 0,
                                 "line %zu: expected three coordinates of atom %llu of %llu",
                                 at + 1, k + 1, total);
    return MMS_OK;
}

// The VASP reader of Open Babel 3.1.1 reads only a named file (it reopens
// the input by name, and picks up POTCAR, OUTCAR and DOSCAR found next to
// it), never a stream: the text goes to a private temporary folder.
// MMS_OK, MMS_EIO (the temporary copy), or MMS_EPARSE with Open Babel's
// complaint (perhaps none) in err.
int read_vasp_file(OpenBabel::OBConversion &conv, const Format *f, const char *text, size_t len,
                   OpenBabel::OBMol &mol, mms_error *err)
{
    const char *tmp = getenv("TMPDIR");
    std::string dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/mmscore-ob-XXXXXX";
    std::vector<char> d(dir.begin(), dir.end());
    d.push_back('\0');
    if (!mkdtemp(d.data()))
        return mms_error_set(err, MMS_EIO, 0, "cannot make a temporary folder: %s", strerror(errno));
    std::string path = std::string(d.data()) + "/" + (strcmp(f->ob_id, "CONTCAR") ? "POSCAR" : "CONTCAR");
    int rc = MMS_OK;
    FILE *fp = fopen(path.c_str(), "wb");
    if (!fp || fwrite(text, 1, len, fp) != len) {
        rc = mms_error_set(err, MMS_EIO, 0, "cannot write a temporary copy: %s", strerror(errno));
        if (fp)
            fclose(fp);
    } else if (fclose(fp) != 0) {
        rc = mms_error_set(err, MMS_EIO, 0, "cannot write a temporary copy: %s", strerror(errno));
    } else if (!conv.ReadFile(&mol, path)) {
        rc = mms_error_set(err, MMS_EPARSE, 0, "%s", ob_last_error().c_str());
    }
    unlink(path.c_str());
    rmdir(d.data());
    return rc;
}

// One Open Babel molecule -> one mms_structure, or an error for that block.
int convert_mol(OpenBabel::OBMol &mol, const char *fmt, const mms_read_options *opt,
                mms_structure **out, mms_error *err)
{
    using namespace OpenBabel;
    *out = nullptr;
    OBUnitCell *uc = static_cast<OBUnitCell *>(mol.GetData(OBGenericDataType::UnitCell));
    if (!uc)
        return mms_error_set(err, MMS_EPARSE, 0,
                             "this %s structure has no unit cell; a periodic structure "
                             "needs lattice vectors",
                             fmt);
    // A cell Open Babel could not build (it computes impossible angle sets
    // into NaN vectors) or a flat one cannot turn positions into fractional
    // coordinates: an error for this record, before any symmetry expansion.
    std::vector<vector3> v = uc->GetCellVectors();
    if (v.size() != 3)
        return mms_error_set(err, MMS_EPARSE, 0, "unit cell without three lattice vectors");
    double lattice[3][3];
    for (int i = 0; i < 3; i++) {
        lattice[i][0] = v[i].x();
        lattice[i][1] = v[i].y();
        lattice[i][2] = v[i].z();
    }
    double det = lattice[0][0] * (lattice[1][1] * lattice[2][2] - lattice[1][2] * lattice[2][1]) -
                 lattice[0][1] * (lattice[1][0] * lattice[2][2] - lattice[1][2] * lattice[2][0]) +
                 lattice[0][2] * (lattice[1][0] * lattice[2][1] - lattice[1][1] * lattice[2][0]);
    if (!std::isfinite(det) || det == 0.0)
        return mms_error_set(err, MMS_EPARSE, 0,
                             "the unit cell Open Babel built is not usable (%s): impossible cell "
                             "angles or a flat cell", std::isfinite(det) ? "zero volume"
                                                                         : "non-finite vectors");
    // Asymmetric-unit formats (CIF, ShelX, PDB) list a space group: expand it
    // so the cell holds every atom, as the core's CIF reader does.
    const SpaceGroup *sg = uc->GetSpaceGroup();
    if (sg && sg->GetId() != 1 && mol.NumAtoms() > 0)
        uc->FillUnitCell(&mol);

    size_t max_sites = opt && opt->max_sites ? opt->max_sites : MMS_DEFAULT_MAX_SITES;
    if (mol.NumAtoms() > max_sites)
        return mms_error_set(err, MMS_ELIMIT, 0,
                             "%u atoms in the cell, more than the limit of %zu (--max-atoms)",
                             mol.NumAtoms(), max_sites);

    mms_structure *s = nullptr;
    int rc = mms_structure_create(&s, lattice, err);
    if (rc != MMS_OK)
        return rc;
    s->format = fmt;

    FOR_ATOMS_OF_MOL(atom, mol)
    {
        mms_site site;
        memset(&site, 0, sizeof site);
        vector3 f = uc->CartesianToFractional(atom->GetVector());
        site.frac[0] = f.x();
        site.frac[1] = f.y();
        site.frac[2] = f.z();
        site.n_species = 1;
        site.species[0].z = static_cast<int>(atom->GetAtomicNum());
        site.species[0].occupancy = 1.0;
        // Open Babel's CIF reader keeps partial occupancy as pair data.
        if (OBGenericData *d = atom->GetData("_atom_site_occupancy")) {
            char *end = nullptr;
            std::string val = d->GetValue();
            double occ = strtod(val.c_str(), &end);
            if (end != val.c_str() && occ > 0.0 && occ <= 1.0)
                site.species[0].occupancy = occ;
        }
        if (site.species[0].z <= 0) {
            mms_structure_free(s);
            return mms_error_set(err, MMS_EPARSE, 0,
                                 "atom %u is not a chemical element (dummy or unknown type)",
                                 atom->GetIdx());
        }
        snprintf(site.label, sizeof site.label, "%s%u",
                 mms_element_symbol(site.species[0].z), atom->GetIdx());
        rc = mms_structure_add_site(s, &site, max_sites, err);
        if (rc != MMS_OK) {
            mms_structure_free(s);
            return rc;
        }
    }
    const char *title = mol.GetTitle();
    if (title && *title)
        s->name = strdup(title);
    rc = mms_structure_finalize(s, err);
    if (rc != MMS_OK) {
        mms_structure_free(s);
        return rc;
    }
    *out = s;
    return MMS_OK;
}

int ob_create(void **state, const cJSON *config, mms_error *err)
{
    (void)config;
    (void)err;
    *state = nullptr;
    return MMS_OK;
}

void ob_destroy(void *state) { (void)state; }

int ob_read(void *state, const char *format, const char *text, size_t len,
            const mms_read_options *opt, mms_structure_cb cb, void *ctx, mms_error *err)
{
    (void)state;
    const Format *f = find_format(format);
    if (!f)
        return mms_error_set(err, MMS_EUNSUPPORTED, 0,
                             "the openbabel plugin does not read format '%s' (it reads: %s)",
                             format ? format : "(none)", kFormatList);
    try {
        std::lock_guard<std::mutex> lock(ob_mutex);
        using namespace OpenBabel;
        static std::ostringstream sink; // keep Open Babel quiet; errors are read back
        obErrorLog.SetOutputStream(&sink);
        obErrorLog.SetOutputLevel(obError);
        obErrorLog.ClearLog();
        sink.str(std::string());

        OBConversion conv;
        if (!conv.SetInFormat(f->ob_id))
            return mms_error_set(err, MMS_EUNSUPPORTED, 0,
                                 "this Open Babel build has no '%s' reader", f->ob_id);
        // No bond perception (read option "b"): bonds are never used here, it
        // costs time on large cells, and 3.1.1's ConnectTheDots leaks.
        conv.AddOption("b", OpenBabel::OBConversion::INOPTIONS);
        size_t max_sites = opt && opt->max_sites ? opt->max_sites : MMS_DEFAULT_MAX_SITES;
        if (!strcmp(f->ob_id, "POSCAR") || !strcmp(f->ob_id, "CONTCAR") ||
            !strcmp(f->ob_id, "VASP")) {
            mms_error why;
            OBMol mol;
            if (poscar_precheck(text, len, max_sites, &why) != MMS_OK ||
                read_vasp_file(conv, f, text, len, mol, &why) != MMS_OK)
                return mms_error_set(err, MMS_EPARSE, 0, "Open Babel could not read this as %s%s%s",
                                     f->name, why.message[0] ? ": " : "", why.message);
            mms_structure *s = nullptr;
            mms_error block_err;
            mms_error_clear(&block_err);
            int rc = convert_mol(mol, f->name, opt, &s, &block_err);
            if (rc == MMS_OK)
                cb(ctx, 0, s, nullptr);
            else
                cb(ctx, 0, nullptr, &block_err);
            return MMS_OK;
        }
        std::istringstream in(std::string(text, len));
        size_t block = 0;
        for (;;) {
            OBMol mol;
            std::streampos before = in.tellg();
            // XYZ readers reserve the atom count of the first line before
            // reading a single atom: a hostile count would allocate gigabytes.
            bool xyz_family = !strcmp(f->ob_id, "xyz") || !strcmp(f->ob_id, "exyz");
            if (xyz_family && before >= 0 && (size_t)before < len) {
                unsigned long long n = strtoull(text + (size_t)before, nullptr, 10);
                if (n > max_sites) {
                    mms_error_set(err, MMS_ELIMIT, 0,
                                  "an XYZ frame of %llu atoms, more than the limit of %zu "
                                  "(--max-atoms)", n, max_sites);
                    return block == 0 ? MMS_ELIMIT : (cb(ctx, block, nullptr, err), MMS_OK);
                }
            }
            bool ok = conv.Read(&mol, &in);
            mms_error block_err;
            mms_error_clear(&block_err);
            int rc = MMS_OK;
            if (ok && !strcmp(f->ob_id, "xyz") && before >= 0 && (size_t)before < len &&
                !mol.HasData(OBGenericDataType::UnitCell))
                rc = extxyz_cell(text + (size_t)before, text + len, mol, &block_err);
            if (!ok) {
                if (block == 0) {
                    std::string why = ob_last_error();
                    return mms_error_set(err, MMS_EPARSE, 0,
                                         "Open Babel could not read this as %s%s%s", f->name,
                                         why.empty() ? "" : ": ", why.c_str());
                }
                break;
            }
            mms_structure *s = nullptr;
            if (rc == MMS_OK)
                rc = convert_mol(mol, f->name, opt, &s, &block_err);
            rc = rc == MMS_OK ? cb(ctx, block, s, nullptr) : cb(ctx, block, nullptr, &block_err);
            if (rc != MMS_OK)
                return MMS_OK;
            block++;
            // A reader that consumes nothing would loop forever.
            if (!in.good() || in.tellg() == before)
                break;
        }
        return MMS_OK;
    } catch (const std::exception &e) {
        return mms_error_set(err, MMS_EPLUGIN, 0, "Open Babel failed: %s", e.what());
    } catch (...) {
        return mms_error_set(err, MMS_EPLUGIN, 0, "Open Babel failed with an unknown exception");
    }
}

const mms_option_def kOptions[] = {{nullptr, MMS_OPT_BOOL, nullptr, nullptr}};

mms_plugin make_descriptor()
{
    mms_plugin d;
    memset(&d, 0, sizeof d);
    d.abi_version = MMS_PLUGIN_ABI_VERSION;
    d.struct_size = sizeof(mms_plugin);
    d.name = "openbabel";
    d.version = "1.0.0";
    d.description = "Reads periodic structure formats (POSCAR, extended XYZ, PDB, CML, CASTEP, "
                    "PWscf, ShelX...) through Open Babel 3";
    d.kind = MMS_PLUGIN_READER;
    d.options = kOptions;
    d.create = ob_create;
    d.destroy = ob_destroy;
    d.formats = kFormatList;
    d.read = ob_read;
    return d;
}

const mms_plugin kDescriptor = make_descriptor();

} // namespace

extern "C" MMS_PLUGIN_EXPORT const mms_plugin *mmscore_plugin_entry(void) { return &kDescriptor; }
