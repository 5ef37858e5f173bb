/* Local structure order parameters, as pymatgen 2022.11.7
 * analysis/local_env.py LocalStructOrderParams.get_order_parameters computes
 * them for one op type at a time (matminer builds one LocalStructOrderParams
 * per op), restricted to the types CrystalNNFingerprint's "ops" preset uses.
 * Loops, the order of accumulation and the None cases follow the reference so
 * that values agree to rounding; there is no C library for these definitions. */
#include "crystalnn.h"

#include <math.h>
#include <string.h>

/* Parameters: op_params.yaml (defaults) and cn_opt_params.yaml (the per-CN
 * motif parameters, which REPLACE the defaults when given), both shipped in
 * pymatgen 2022.11.7 analysis/.  Motif names: matminer v0.8.0
 * featurizers/site/cn_target_motif_op.yaml. */
#define BENT(lbl, ta, igw) {.type = MMSC_OP_BENT, .label = lbl, .TA = ta, .IGW_TA = igw}
static const mmsc_op cn1[] = {{.type = MMSC_OP_SGL_BD, .label = "sgl_bd CN_1"}};
static const mmsc_op cn2[] = {
    BENT("L-shaped CN_2", 0.5, 15.15),
    BENT("water-like CN_2", 0.5802777777777778, 13.95),
    BENT("bent 120 degrees CN_2", 0.666666666667, 13.25),
    BENT("bent 150 degrees CN_2", 0.833333333333333, 12.45),
    BENT("linear CN_2", 1, 8.667),
};
static const mmsc_op cn3[] = {
    {.type = MMSC_OP_TRI_PLAN_MAX, .label = "trigonal planar CN_3", .IGW_TA = 17.5, .TA = 0.66666666667,
     .fac_AA = 1, .exp_cos_AA = 2},
    {.type = MMSC_OP_TET_MAX, .label = "trigonal non-coplanar CN_3", .TA = 0.6081734479693927, .IGW_TA = 18.33,
     .fac_AA = 1.5, .exp_cos_AA = 2},
    {.type = MMSC_OP_T, .label = "T-shaped CN_3", .IGW_EP = 15.5, .fac_AA = 1, .exp_cos_AA = 2},
};
static const mmsc_op cn4[] = {
    {.type = MMSC_OP_SQ_PLAN_MAX, .label = "square co-planar CN_4", .min_SPP = 2.356194490192345, .IGW_SPP = 13.5,
     .IGW_EP = 17.7, .w_SPP = 1, .fac_AA = 1, .exp_cos_AA = 2},
    {.type = MMSC_OP_TET_MAX, .label = "tetrahedral CN_4", .IGW_TA = 18.5, .TA = 0.6081734479693927, .fac_AA = 1.5,
     .exp_cos_AA = 2},
    {.type = MMSC_OP_SEE_SAW_RECT, .label = "rectangular see-saw-like CN_4", .min_SPP = 2.356194490192345,
     .IGW_SPP = 11.5, .IGW_EP = 27, .fac_AA = 2, .exp_cos_AA = 2},
    {.type = MMSC_OP_TRI_BIPYR, .label = "see-saw-like CN_4", .min_SPP = 2.356194490192345, .IGW_EP = 15.75,
     .IGW_SPP = 12.75, .fac_AA = 1.5, .exp_cos_AA = 2, .w_SPP = 1},
    {.type = MMSC_OP_TRI_PYR, .label = "trigonal pyramidal CN_4", .IGW_EP = 15.5, .fac_AA = 1.5, .exp_cos_AA = 2},
};
static const mmsc_op cn5[] = {
    {.type = MMSC_OP_PENT_PLAN_MAX, .label = "pentagonal planar CN_5", .TA = 0.6, .IGW_TA = 19.333},
    {.type = MMSC_OP_SQ_PYR, .label = "square pyramidal CN_5", .IGW_EP = 14.9, .fac_AA = 2, .exp_cos_AA = 2},
    {.type = MMSC_OP_TRI_BIPYR, .label = "trigonal bipyramidal CN_5", .min_SPP = 2.356194490192345, .IGW_SPP = 12,
     .IGW_EP = 16.6, .fac_AA = 1.5, .exp_cos_AA = 2, .w_SPP = 1},
};
static const mmsc_op cn6[] = {
    {.type = MMSC_OP_HEX_PLAN_MAX, .label = "hexagonal planar CN_6", .min_SPP = 2.6179938779914944, .IGW_SPP = 7.5,
     .w_SPP = 1, .fac_AA = 1, .exp_cos_AA = 2, .IGW_TA = 25, .TA = 0.16666667},
    {.type = MMSC_OP_OCT_MAX, .label = "octahedral CN_6", .min_SPP = 2.356194490192345, .IGW_SPP = 15, .IGW_EP = 18,
     .w_SPP = 1, .fac_AA = 2, .exp_cos_AA = 2},
    {.type = MMSC_OP_PENT_PYR, .label = "pentagonal pyramidal CN_6", .IGW_EP = 13.8, .fac_AA = 2.5, .exp_cos_AA = 2},
};
static const mmsc_op cn7[] = {
    {.type = MMSC_OP_HEX_PYR, .label = "hexagonal pyramidal CN_7", .IGW_EP = 12.5, .fac_AA = 3, .exp_cos_AA = 2},
    {.type = MMSC_OP_PENT_BIPYR, .label = "pentagonal bipyramidal CN_7", .min_SPP = 2.356194490192345,
     .IGW_SPP = 12.5, .IGW_EP = 14.75, .fac_AA = 2.5, .exp_cos_AA = 2, .w_SPP = 1},
};
static const mmsc_op cn8[] = {
    {.type = MMSC_OP_BCC, .label = "body-centered cubic CN_8", .min_SPP = 2.5261129449194057, .IGW_SPP = 15,
     .w_SPP = 6},
    {.type = MMSC_OP_HEX_BIPYR, .label = "hexagonal bipyramidal CN_8", .min_SPP = 2.356194490192345,
     .IGW_SPP = 14.1, .IGW_EP = 13.6, .fac_AA = 3, .exp_cos_AA = 2, .w_SPP = 1},
};
#define BOOPS(cn)                                  \
    {.type = MMSC_OP_Q2, .label = "q2 CN_" #cn},     \
    {.type = MMSC_OP_Q4, .label = "q4 CN_" #cn},     \
    {.type = MMSC_OP_Q6, .label = "q6 CN_" #cn}
static const mmsc_op cn9[] = {BOOPS(9)};
static const mmsc_op cn10[] = {BOOPS(10)};
static const mmsc_op cn11[] = {BOOPS(11)};
static const mmsc_op cn12[] = {
    {.type = MMSC_OP_CUBOCT_MAX, .label = "cuboctahedral CN_12", .min_SPP = 2.792526803190927, .IGW_SPP = 28.75,
     .p2 = 1.8325957145940461, .w_SPP = 1.8, .p4 = 1.3089969389957472, .p5 = 25.5, .p6 = 31.25},
    BOOPS(12)};

#define N(a) (int)(sizeof(a) / sizeof(a[0])), a
const mmsc_cn_ops mmsc_ops_preset[MMSC_CNN_MAX_CN + 1] = {
    {0, NULL}, {N(cn1)}, {N(cn2)}, {N(cn3)}, {N(cn4)}, {N(cn5)}, {N(cn6)},
    {N(cn7)}, {N(cn8)}, {N(cn9)}, {N(cn10)}, {N(cn11)}, {N(cn12)},
    /* CN 13..24: only "wt" */
};

#if defined(__GNUC__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif

static double dot3(const double *a, const double *b)
{
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

/* The same value as fmax(-1.0, fmin(x, 1.0)) for every x (NaN gives 1.0,
 * as fmin does), written as comparisons so that it inlines: fmin and fmax
 * are library calls without -ffast-math. */
static inline double clamp1(double x)
{
    double y = x < 1.0 ? x : 1.0;
    return y > -1.0 ? y : -1.0;
}

static inline double cos_mult(double c, double f);

/* cos(f phi) ** e from c = cos(phi); e is 2 in every preset parameter set. */
static inline double pow_cos(double c, double f, double e)
{
    double v = cos_mult(c, f);
    return e == 2 ? v * v : pow(v, e);
}

static double gauss(double t)
{
    return exp(-0.5 * t * t);
}

/* The scratch area holds the neighbour geometry shared by all ops of one
 * coordination number: everything the reference recomputes per op and per
 * (j, k, m) but which depends on fewer indices, computed once with the same
 * arithmetic.  Tables are indexed with a stride S >= n (S = n, or the
 * capacity given to mmsc_op_prepare_more).  Layout (in doubles): */
enum {
    G_N,     /* neighbours */
    G_S,     /* stride of the tables */
    G_NPREP, /* neighbours whose geometry (u, dist, theta, x) is filled in */
    G_NPHI,  /* neighbours whose azimuth cosines are filled in */
    G_NTRIG, /* neighbours whose spherical-harmonic terms are filled in */
    G_HEAD
};
#define G_U(s) ((s) + G_HEAD)                               /* 3S: unit vectors   */
#define G_DIST(s, S) (G_U(s) + 3 * (S))                      /* S: lengths         */
#define G_THETA(s, S) (G_DIST(s, S) + (S))                   /* S^2: polar angles  */
#define G_X(s, S) (G_THETA(s, S) + (S) * (S))                /* 3S^2: meridians    */
#define G_XFLAG(s, S) (G_X(s, S) + 3 * (S) * (S))            /* S^2: meridian undefined */
#define G_PHI(s, S) (G_XFLAG(s, S) + (S) * (S))              /* S^3: cos of azimuths */
#define G_Q(s, S) (G_PHI(s, S) + (S) * (S) * (S))            /* S^2: accumulators  */
#define G_NRM(s, S) (G_Q(s, S) + (S) * (S))                  /* S^2: norms         */
#define G_GM(s, S) (G_NRM(s, S) + (S) * (S))                 /* S^2: one op's polar Gaussian of m */
#define G_GSPP(s, S) (G_GM(s, S) + (S) * (S))                /* S^2: its South-pole Gaussian */
#define G_TRIG(s, S) (G_GSPP(s, S) + (S) * (S))              /* 4 x 7 S: boop's terms */

size_t mmsc_op_scratch_size(size_t n)
{
    return G_HEAD + 32 * n + 9 * n * n + n * n * n;
}

/* gramschmidt(v, u) = v - (v.u / u.u) u, as pymatgen. */
static void gramschmidt(const double *v, const double *u, double *out)
{
    double f = dot3(v, u) / dot3(u, u);
    for (int d = 0; d < 3; d++)
        out[d] = v[d] - f * u[d];
}

/* Fills in the geometry of neighbours n0..n-1 (and their pairs with the
 * first n0, which are kept): every entry depends only on the neighbours it
 * names, so a prefix prepared earlier holds the same doubles. */
static void prepare_geometry(double *s, const double (*r)[3], size_t n, size_t n0)
{
    const double very_small = 1.0e-12;
    const size_t S = (size_t)s[G_S];
    double (*u)[3] = (double (*)[3])G_U(s);
    double *dist = G_DIST(s, S), *theta = G_THETA(s, S), *xflag = G_XFLAG(s, S);
    double (*x)[3] = (double (*)[3])G_X(s, S);
    for (size_t j = n0; j < n; j++) {
        dist[j] = sqrt(dot3(r[j], r[j]));
        for (int c = 0; c < 3; c++)
            u[j][c] = r[j][c] / dist[j];
    }
    /* neighbour j at the North pole: polar angle of k, and k's meridian.
     * The angle is symmetric to the bit: dot3(u[j], u[k]) and
     * dot3(u[k], u[j]) multiply the same pairs and add them in the same
     * order, so each acos is taken once for both. */
    for (size_t j = 0; j < n; j++)
        for (size_t k = j < n0 ? n0 : 0; k < n; k++) {
            if (j == k)
                continue;
            if (k > j)
                theta[j * S + k] = theta[k * S + j] = acos(clamp1(dot3(u[j], u[k])));
            double *xa = x[j * S + k];
            gramschmidt(u[k], u[j], xa);
            double l = sqrt(dot3(xa, xa));
            xflag[j * S + k] = l < very_small;
            if (l >= very_small)
                for (int c = 0; c < 3; c++)
                    xa[c] /= l;
        }
    s[G_N] = (double)n;
    s[G_NPREP] = (double)n;
}

void mmsc_op_prepare(double *s, const double (*r)[3], size_t n)
{
    s[G_S] = (double)n;
    s[G_NPHI] = 0;
    s[G_NTRIG] = 0;
    prepare_geometry(s, r, n, 0);
}

void mmsc_op_prepare_more(double *s, const double (*r)[3], size_t n, size_t cap, int extend)
{
    size_t n0 = 0;
    if (extend && (size_t)s[G_S] == cap && (size_t)s[G_NPREP] <= n) {
        n0 = (size_t)s[G_NPREP];
    } else {
        s[G_S] = (double)cap;
        s[G_NPHI] = 0;
        s[G_NTRIG] = 0;
    }
    prepare_geometry(s, r, n, n0);
}

/* cphi[(j S + k) S + m] = cos(phi), phi the azimuth of m from k's meridian
 * with j at the pole: the clamped dot product whose acos the reference takes.
 * The reference only uses phi through cos(f phi) for f = 1, 1.5, 2, 2.5, 3,
 * sin(phi) and one comparison, all computed from cos(phi) below without the
 * acos (same values to rounding; no threshold is crossed by it).  Only the
 * triples with a neighbour beyond those already done are computed. */
static void prepare_phi(double *s, size_t n)
{
    const size_t S = (size_t)s[G_S], n0 = (size_t)s[G_NPHI];
    if (n0 >= n)
        return;
    const double (*x)[3] = (const double (*)[3])G_X(s, S);
    const double *xflag = G_XFLAG(s, S);
    double *cphi = G_PHI(s, S);
    for (size_t j = 0; j < n; j++)
        for (size_t k = 0; k < n; k++) {
            if (j == k || xflag[j * S + k])
                continue;
            /* symmetric in k and m to the bit (dot3 of the same pairs in
             * the same order): one dot product for both */
            size_t m0 = j >= n0 || k + 1 >= n0 ? k + 1 : n0;
            for (size_t m = m0; m < n; m++) {
                if (m == j || xflag[j * S + m])
                    continue;
                cphi[(j * S + k) * S + m] = cphi[(j * S + m) * S + k] =
                    clamp1(dot3(x[j * S + m], x[j * S + k]));
            }
        }
    s[G_NPHI] = (double)n;
}

/* cos(f phi) from c = cos(phi), phi in [0, pi]: Chebyshev polynomials, in
 * h = cos(phi / 2) >= 0 for the half-integer factors. */
static inline double cos_mult(double c, double f)
{
    if (f == 1)
        return c;
    if (f == 2)
        return 2 * c * c - 1;
    if (f == 3)
        return c * (4 * c * c - 3);
    if (f == 1.5 || f == 2.5) {
        double v = 0.5 * (1 + c); /* >= 0 for c in [-1, 1]: the guard only for rounding */
        double h = sqrt(v > 0.0 ? v : 0.0), h2 = h * h;
        return f == 1.5 ? h * (4 * h2 - 3) : h * ((16 * h2 - 20) * h2 + 5);
    }
    return cos(f * acos(c));
}

/* ---- Steinhardt bond-orientational order parameters q2, q4, q6 ---- */

/* pymatgen's compute_trigonometric_terms for neighbours G_NTRIG..n-1, up to
 * the sixth powers and multiples, which serve q2, q4 and q6 alike (a lower l
 * reads the first of the same doubles): per neighbour 28 doubles, sin^k and
 * cos^k of theta, sin and cos of k phi, k = 0..6 (0 unused). */
static void boop_terms(double *s, size_t n)
{
    const double left_of_unity = 1.0 - 1.0e-12;
    const size_t S = (size_t)s[G_S];
    const double (*u)[3] = (const double (*)[3])G_U(s);
    for (size_t i = (size_t)s[G_NTRIG]; i < n; i++) {
        double *st = G_TRIG(s, S) + 28 * i, *ct = st + 7, *sp = st + 14, *cp = st + 21;
        const double *v = u[i];
        double theta = acos(clamp1(v[2]));
        double phi = 0.0;
        if (-left_of_unity < v[2] && v[2] < left_of_unity) {
            phi = acos(clamp1(v[0] / sqrt(v[0] * v[0] + v[1] * v[1])));
            if (v[1] < 0.0)
                phi = -phi;
        }
        st[1] = sin(theta);
        ct[1] = cos(theta);
        sp[1] = sin(phi);
        cp[1] = cos(phi);
        for (int k = 2; k <= 6; k++) {
            st[k] = st[k - 1] * st[1];
            ct[k] = ct[k - 1] * ct[1];
            sp[k] = sin((double)k * phi);
            cp[k] = cos((double)k * phi);
        }
    }
    if ((double)n > s[G_NTRIG])
        s[G_NTRIG] = (double)n;
}

/* pymatgen's get_q{2,4,6}: sums of spherical harmonics over neighbours,
 * m = l..-l in the reference's order, from boop_terms' table. */
static double boop(int l, const double *trig, size_t n)
{
    double acc = 0.0;
    /* sums of Re/Im Y_lm * normalisation for m = 0..l (sign handled below) */
    double re[7] = {0}, im[7] = {0};
    double re0 = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double *st = trig + 28 * i, *ct = st + 7, *sp = st + 14, *cp = st + 21;
        double pre[7] = {0};
        double y0 = 0.0;
        if (l == 2) {
            double s15 = sqrt(15.0 / (2 * M_PI)), s5 = sqrt(5.0 / M_PI);
            pre[2] = 0.25 * s15 * st[2];
            pre[1] = 0.5 * s15 * st[1] * ct[1];
            y0 = 0.25 * s5 * (3 * ct[2] - 1.0);
        } else if (l == 4) {
            double i16_3 = 3.0 / 16.0, i8_3 = 3.0 / 8.0;
            double s35 = sqrt(35.0 / M_PI), s35_2 = sqrt(35.0 / (2 * M_PI));
            double s5 = sqrt(5.0 / M_PI), s5_2 = sqrt(5.0 / (2 * M_PI)), s1 = sqrt(1.0 / M_PI);
            pre[4] = i16_3 * s35_2 * st[4];
            pre[3] = i8_3 * s35 * st[3] * ct[1];
            pre[2] = i8_3 * s5_2 * st[2] * (7 * ct[2] - 1.0);
            pre[1] = i8_3 * s5 * st[1] * (7 * ct[3] - 3 * ct[1]);
            y0 = i16_3 * s1 * (35 * ct[4] - 30 * ct[2] + 3.0);
        } else {
            double i64 = 1.0 / 64.0, i32 = 1.0 / 32.0, i32_3 = 3.0 / 32.0, i16 = 1.0 / 16.0;
            double s3003 = sqrt(3003.0 / M_PI), s1001 = sqrt(1001.0 / M_PI);
            double s91_2 = sqrt(91.0 / (2 * M_PI)), s1365 = sqrt(1365.0 / M_PI);
            double s273_2 = sqrt(273.0 / (2 * M_PI)), s13 = sqrt(13.0 / M_PI);
            pre[6] = i64 * s3003 * st[6];
            pre[5] = i32_3 * s1001 * st[5] * ct[1];
            pre[4] = i32_3 * s91_2 * st[4] * (11 * ct[2] - 1.0);
            pre[3] = i32 * s1365 * st[3] * (11 * ct[3] - 3 * ct[1]);
            pre[2] = i64 * s1365 * st[2] * (33 * ct[4] - 18 * ct[2] + 1.0);
            pre[1] = i16 * s273_2 * st[1] * (33 * ct[5] - 30 * ct[3] + 5 * ct[1]);
            y0 = i32 * s13 * (231 * ct[6] - 315 * ct[4] + 105 * ct[2] - 5.0);
        }
        for (int m = 1; m <= l; m++) {
            re[m] += pre[m] * cp[m];
            im[m] -= pre[m] * sp[m];
        }
        re0 += y0;
    }
    /* m = l..1, then 0, then -1..-l: |sum|^2 is the same for +m and -m up to
     * the signs the reference applies, which do not change the squares. */
    for (int m = l; m >= 1; m--)
        acc += re[m] * re[m] + im[m] * im[m];
    acc += re0 * re0;
    for (int m = 1; m <= l; m++)
        acc += re[m] * re[m] + im[m] * im[m];
    return sqrt(4 * M_PI * acc / ((2 * l + 1) * (double)(n * n)));
}

/* ---- geometric order parameters ---- */

static int is_bipyr_like(mmsc_op_type t)
{
    return t == MMSC_OP_TRI_BIPYR || t == MMSC_OP_OCT_MAX || t == MMSC_OP_SQ_PLAN_MAX ||
           t == MMSC_OP_HEX_PLAN_MAX || t == MMSC_OP_PENT_BIPYR || t == MMSC_OP_HEX_BIPYR;
}

static int is_pyr_like(mmsc_op_type t)
{
    return t == MMSC_OP_T || t == MMSC_OP_TRI_PYR || t == MMSC_OP_SQ_PYR || t == MMSC_OP_PENT_PYR ||
           t == MMSC_OP_HEX_PYR;
}

/* Contribution of neighbour k (prime meridian) given its polar angle.
 * Every Gaussian the reference evaluates here has the same argument, with
 * the same operations, as m_gauss or the South-pole Gaussian of k, so
 * gk[0] = m_gauss(p, thetak) and gsppk[0] = gauss(IGW_SPP (thetak / pi - 1))
 * are read from mmsc_op_value's tables: the same doubles, computed once per (j, k)
 * instead of again (only the entries read here are filled in). */
static ALWAYS_INLINE void k_term(mmsc_op_type t, const mmsc_op *p, double thetak, const double *gk,
                                  const double *gsppk, int j, int k, double *q, double *nrm)
{
    const double ipi = 1.0 / M_PI;
    if (t == MMSC_OP_BENT) {
        *q += gauss(p->IGW_TA * (thetak * ipi - p->TA));
        *nrm += 1;
    } else if (t == MMSC_OP_TRI_PLAN_MAX || t == MMSC_OP_TET_MAX || t == MMSC_OP_PENT_PLAN_MAX ||
               is_pyr_like(t)) {
        *q += *gk;
        *nrm += 1;
    } else if (t == MMSC_OP_CUBOCT_MAX) {
        if (thetak >= p->min_SPP) {
            *q += p->w_SPP * *gsppk;
            *nrm += p->w_SPP;
        }
    } else if (is_bipyr_like(t) || t == MMSC_OP_SEE_SAW_RECT) {
        if (thetak < p->min_SPP) {
            *q += *gk;
            *nrm += 1;
        }
    } else if (t == MMSC_OP_BCC && j < k) {
        if (thetak >= p->min_SPP) {
            *q += p->w_SPP * *gsppk;
            *nrm += p->w_SPP;
        }
    }
}

/* Whether any third neighbour m can contribute for this (j, k): m_term
 * adds nothing unless these hold, and the South-pole term of m (spp_m)
 * does not depend on k.  Skipping such k changes no sum. */
static ALWAYS_INLINE int k_has_m_terms(mmsc_op_type t, const mmsc_op *p, double thetak, int j, int k)
{
    if (t == MMSC_OP_BENT)
        return 0;
    if (t == MMSC_OP_CUBOCT_MAX)
        return p->p4 < thetak && thetak < p->p2;
    if (t == MMSC_OP_BCC)
        return j < k && thetak < p->min_SPP;
    if (is_bipyr_like(t) || t == MMSC_OP_SEE_SAW_RECT)
        return thetak < p->min_SPP;
    return 1;
}

/* The factor of m_term that depends on the polar angle of m only (so on
 * j and m, not k): computed once per (j, m) instead of once per (j, k, m). */
static double m_gauss(const mmsc_op *p, double thetam)
{
    const double ipi = 1.0 / M_PI, piover2 = M_PI / 2.0;
    mmsc_op_type t = p->type;
    if (t == MMSC_OP_TRI_PLAN_MAX || t == MMSC_OP_TET_MAX)
        return gauss(p->IGW_TA * (thetam * ipi - p->TA));
    if (t == MMSC_OP_PENT_PLAN_MAX)
        return gauss(p->IGW_TA * (thetam * ipi - (thetam <= p->TA * M_PI ? 0.4 : 0.8)));
    if (is_pyr_like(t) || t == MMSC_OP_SEE_SAW_RECT)
        return gauss(p->IGW_EP * (thetam * ipi - 0.5));
    if (is_bipyr_like(t))
        return gauss(t != MMSC_OP_HEX_PLAN_MAX ? p->IGW_EP * (thetam * ipi - 0.5)
                                             : p->IGW_TA * (fabs(thetam * ipi - 0.5) - p->TA));
    if (t == MMSC_OP_BCC) {
        double tmp = (thetam - piover2) / asin(1.0 / 3.0);
        return tmp * exp(-0.5 * tmp * tmp);
    }
    if (t == MMSC_OP_CUBOCT_MAX) {
        if (p->p4 < thetam && thetam < p->p2)
            return gauss(p->p5 * (thetam * ipi - 0.5));
        if (thetam < p->p4)
            return gauss(p->p6 * (thetam * ipi - 1.0 / 3.0));
        if (thetam > p->p2)
            return gauss(p->p6 * (thetam * ipi - 2.0 / 3.0));
    }
    return 0.0;
}

/* Contribution of a third neighbour m at polar angle thetam, azimuth phi
 * (given as c = cos phi) from neighbour k's meridian, only when both axes
 * are defined; g = m_gauss(p, thetam). */
static ALWAYS_INLINE void m_term(mmsc_op_type t, const mmsc_op *p, double thetak, double thetam,
                                  double c, double g, int j, int k, double *q, double *nrm)
{
    const double piover2 = M_PI / 2.0;
    if (t == MMSC_OP_TRI_PLAN_MAX || t == MMSC_OP_TET_MAX) {
        double tmp2 = pow_cos(c, p->fac_AA, p->exp_cos_AA);
        *q += 1 * g * tmp2;
        *nrm += 1;
    } else if (t == MMSC_OP_PENT_PLAN_MAX) {
        *q += 1 * g * c * c;
        *nrm += 1;
    } else if (is_pyr_like(t)) {
        *q += pow_cos(c, p->fac_AA, p->exp_cos_AA) * g;
        *nrm += 1;
    } else if (is_bipyr_like(t)) {
        if (thetam < p->min_SPP && thetak < p->min_SPP) {
            *q += pow_cos(c, p->fac_AA, p->exp_cos_AA) * g;
            *nrm += 1;
        }
    } else if (t == MMSC_OP_BCC && j < k) {
        if (thetak < p->min_SPP) {
            double fac = thetak > piover2 ? 1.0 : -1.0;
            *q += fac * cos_mult(c, 3) * (1.0 / exp(-0.5)) * g;
            *nrm += 1;
        }
    } else if (t == MMSC_OP_SEE_SAW_RECT) {
        /* phi < 0.75 pi  <=>  cos phi > cos(0.75 pi) */
        if (thetam < p->min_SPP && thetak < p->min_SPP && c > cos(0.75 * M_PI)) {
            *q += pow_cos(c, p->fac_AA, p->exp_cos_AA) * g;
            *nrm += 1.0;
        }
    } else if (t == MMSC_OP_CUBOCT_MAX) {
        if (thetam < p->min_SPP && p->p4 < thetak && thetak < p->p2) {
            if (p->p4 < thetam && thetam < p->p2) {
                *q += c * c * g;
                *nrm += 1.0;
            } else if (thetam < p->p4 || thetam > p->p2) {
                /* cos(phi - pi/2) = sin(phi) >= 0 on [0, pi] */
                double tmp = 0.0556 * (sqrt(fmax(0.0, 1 - c * c)) - 0.81649658);
                *q += exp(-0.5 * tmp * tmp) * g;
                *nrm += 1.0;
            }
        }
    }
}

/* The m terms of one (j, k) added to *qv, *nv in m order. */
static ALWAYS_INLINE void m_loop(mmsc_op_type t, const mmsc_op *p, size_t n, size_t j, size_t k,
                                 double thetak, int with_m_term, const double *thj,
                                 const double *xfj, const double *gmj, const double *gsj,
                                 const double *cjk, double *qv, double *nv)
{
    const int spp_m = is_bipyr_like(t) || t == MMSC_OP_SEE_SAW_RECT;
    for (size_t m = 0; m < n; m++) {
        if (m == j || m == k)
            continue;
        double thetam = thj[m];
        if (spp_m && thetam >= p->min_SPP) {
            *qv += gsj[m];
            *nv += 1;
        }
        if (with_m_term && xfj[m] == 0)
            m_term(t, p, thetak, thetam, cjk[m], gmj[m], (int)j, (int)k, qv, nv);
    }
}

/* pymatgen's qsptheta[j][k] and norms into q, nrm (n x (n - 1), kc over
 * k != j); the tables have stride S.  t is p->type, passed separately so that each call in
 * op_sums_of below inlines a copy whose tests on the type fold away (they
 * ran once per (j, k) and (j, k, m) before). */
static ALWAYS_INLINE void op_sums(mmsc_op_type t, const mmsc_op *p, size_t n, size_t S,
                                  const double *theta, const double *xflag, const double *gm,
                                  const double *gspp, const double *cphi, double *q, double *nrm)
{
    const int spp_m = is_bipyr_like(t) || t == MMSC_OP_SEE_SAW_RECT;
    const size_t nk = n - 1;
    for (size_t j = 0; j < n; j++) {
        size_t kc = 0;
        for (size_t k = 0; k < n; k++) {
            if (j == k)
                continue;
            double *qq = &q[j * nk + kc], *nn = &nrm[j * nk + kc];
            double thetak = theta[j * S + k];
            int flag_xaxis = xflag[j * S + k] != 0;
            k_term(t, p, thetak, &gm[j * S + k], &gspp[j * S + k], (int)j, (int)k, qq, nn);
            kc++;
            const int with_m_term = k_has_m_terms(t, p, thetak, (int)j, (int)k);
            if (flag_xaxis || (!spp_m && !with_m_term))
                continue;
            /* the sums in locals: the same additions in the same order,
             * without a store and reload through the scratch pointers */
            double qv = *qq, nv = *nn;
            m_loop(t, p, n, j, k, thetak, with_m_term, &theta[j * S], &xflag[j * S], &gm[j * S],
                   &gspp[j * S], &cphi[(j * S + k) * S], &qv, &nv);
            *qq = qv;
            *nn = nv;
        }
    }
}

static void op_sums_of(const mmsc_op *p, size_t n, size_t S, const double *theta,
                       const double *xflag, const double *gm, const double *gspp,
                       const double *cphi, double *q, double *nrm)
{
#define OP_SUMS(T) op_sums(T, p, n, S, theta, xflag, gm, gspp, cphi, q, nrm)
    switch (p->type) {
    case MMSC_OP_BENT: OP_SUMS(MMSC_OP_BENT); break;
    case MMSC_OP_TRI_PLAN_MAX: OP_SUMS(MMSC_OP_TRI_PLAN_MAX); break;
    case MMSC_OP_TET_MAX: OP_SUMS(MMSC_OP_TET_MAX); break;
    case MMSC_OP_T: OP_SUMS(MMSC_OP_T); break;
    case MMSC_OP_SQ_PLAN_MAX: OP_SUMS(MMSC_OP_SQ_PLAN_MAX); break;
    case MMSC_OP_SEE_SAW_RECT: OP_SUMS(MMSC_OP_SEE_SAW_RECT); break;
    case MMSC_OP_TRI_BIPYR: OP_SUMS(MMSC_OP_TRI_BIPYR); break;
    case MMSC_OP_TRI_PYR: OP_SUMS(MMSC_OP_TRI_PYR); break;
    case MMSC_OP_PENT_PLAN_MAX: OP_SUMS(MMSC_OP_PENT_PLAN_MAX); break;
    case MMSC_OP_SQ_PYR: OP_SUMS(MMSC_OP_SQ_PYR); break;
    case MMSC_OP_HEX_PLAN_MAX: OP_SUMS(MMSC_OP_HEX_PLAN_MAX); break;
    case MMSC_OP_OCT_MAX: OP_SUMS(MMSC_OP_OCT_MAX); break;
    case MMSC_OP_PENT_PYR: OP_SUMS(MMSC_OP_PENT_PYR); break;
    case MMSC_OP_HEX_PYR: OP_SUMS(MMSC_OP_HEX_PYR); break;
    case MMSC_OP_PENT_BIPYR: OP_SUMS(MMSC_OP_PENT_BIPYR); break;
    case MMSC_OP_BCC: OP_SUMS(MMSC_OP_BCC); break;
    case MMSC_OP_HEX_BIPYR: OP_SUMS(MMSC_OP_HEX_BIPYR); break;
    case MMSC_OP_CUBOCT_MAX: OP_SUMS(MMSC_OP_CUBOCT_MAX); break;
    default: OP_SUMS(p->type); break;
    }
#undef OP_SUMS
}

double mmsc_op_value(const mmsc_op *p, double *scratch, int *is_none)
{
    const double ipi = 1.0 / M_PI;
    const size_t n = (size_t)scratch[G_N], S = (size_t)scratch[G_S];
    const double *dist = G_DIST(scratch, S);
    *is_none = 0;

    if (p->type == MMSC_OP_SGL_BD) {
        if (n == 1)
            return 1.0;
        if (n == 0) {
            *is_none = 1; /* the reference leaves 0.0 here; "or 0" makes it 0 */
            return 0.0;
        }
        double d0 = INFINITY, d1 = INFINITY;
        for (size_t j = 0; j < n; j++) {
            if (dist[j] < d0) {
                d1 = d0;
                d0 = dist[j];
            } else if (dist[j] < d1) {
                d1 = dist[j];
            }
        }
        return 1.0 - d0 / d1;
    }
    if (p->type == MMSC_OP_Q2 || p->type == MMSC_OP_Q4 || p->type == MMSC_OP_Q6) {
        if (n == 0) {
            *is_none = 1;
            return 0.0;
        }
        int l = p->type == MMSC_OP_Q2 ? 2 : p->type == MMSC_OP_Q4 ? 4 : 6;
        boop_terms(scratch, n);
        return boop(l, G_TRIG(scratch, S), n);
    }

    /* q[j][kc], nrm[j][kc]: pymatgen's qsptheta and norms, kc over k != j */
    prepare_phi(scratch, n);
    const double *theta = G_THETA(scratch, S), *xflag = G_XFLAG(scratch, S);
    const double *cphi = G_PHI(scratch, S);
    size_t nk = n > 0 ? n - 1 : 0;
    double *q = G_Q(scratch, S), *nrm = G_NRM(scratch, S);
    double *gm = G_GM(scratch, S), *gspp = G_GSPP(scratch, S);
    const mmsc_op_type t = p->type;
    const int spp_m = is_bipyr_like(t) || t == MMSC_OP_SEE_SAW_RECT;
    /* Only the Gaussians that are read: the South-pole one only by these
     * ops and only at angles >= min_SPP; m_gauss by the ops split at
     * min_SPP only below it (both in k_term and m_term). */
    const int need_spp = spp_m || t == MMSC_OP_CUBOCT_MAX || t == MMSC_OP_BCC;
    const int split = spp_m || t == MMSC_OP_CUBOCT_MAX;
    /* theta is symmetric (see mmsc_op_prepare), so are these tables */
    for (size_t j = 0; j < n && t != MMSC_OP_BENT; j++)
        for (size_t m = j + 1; m < n; m++) {
            double th = theta[j * S + m];
            if (!split || th < p->min_SPP)
                gm[j * S + m] = gm[m * S + j] = m_gauss(p, th);
            if (need_spp && th >= p->min_SPP)
                gspp[j * S + m] = gspp[m * S + j] = gauss(p->IGW_SPP * (th * ipi - 1.0));
        }
    memset(q, 0, n * nk * sizeof *q);
    memset(nrm, 0, n * nk * sizeof *nrm);
    if (n > 0)
        op_sums_of(p, n, S, theta, xflag, gm, gspp, cphi, q, nrm);

    if (t == MMSC_OP_BENT) {
        double s = 0.0, norm = 0.0;
        for (size_t j = 0; j < n; j++) {
            double sj = 0.0, nj = 0.0;
            for (size_t c = 0; c < nk; c++) {
                sj += q[j * nk + c];
                nj += nrm[j * nk + c];
            }
            s += sj;
            norm += nj;
        }
        if (norm > 1.0e-12)
            return s / norm;
        *is_none = 1;
        return 0.0;
    }
    if (t == MMSC_OP_BCC) {
        double s = 0.0;
        for (size_t j = 0; j < n; j++) {
            double sj = 0.0;
            for (size_t c = 0; c < nk; c++)
                sj += q[j * nk + c];
            s += sj;
        }
        if (n > 3)
            return s / (0.5 * (double)(n * (6 + (n - 2) * (n - 3))));
        *is_none = 1;
        return 0.0;
    }
    /* the "max" family: largest normalised entry over all (j, k) */
    if (n <= 1) {
        *is_none = 1;
        return 0.0;
    }
    double best = -INFINITY;
    for (size_t i = 0; i < n * nk; i++) {
        double v = nrm[i] > 1.0e-12 ? q[i] / nrm[i] : 0.0;
        if (v > best)
            best = v;
    }
    return best;
}
