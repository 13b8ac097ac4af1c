/* The batch scoring kernel in C (tanzuji.scale.kernel loads it with ctypes).
 *
 * out[v] = sum over rows r of variant v of amounts[r] * x[inputs[r]], for v in [lo, hi),
 * summed in row order from 0.0: the same operations in the same order as SciPy's
 * csr_matvec, so the results are bitwise those of the SciPy path. Returns -1, or the first
 * row whose activity index is outside x (nothing is read there; out is then incomplete). Built without
 * floating-point contraction (setup.py: -ffp-contract=off) so that no fused multiply-add
 * changes the rounding. Called without the GIL (ctypes releases it), one call per thread.
 *
 * The module init below only makes the shared object an importable extension module (so
 * that setuptools builds and installs it like any other); it exposes nothing.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

int64_t tz_score(int64_t lo, int64_t hi, const int64_t *indptr, const int32_t *inputs,
                 const double *amounts, const double *x, int64_t n, double *out) {
    for (int64_t v = lo; v < hi; v++) {
        double sum = 0.0;
        const int64_t end = indptr[v + 1];
        for (int64_t r = indptr[v]; r < end; r++) {
            const uint32_t j = (uint32_t)inputs[r];
            if (j >= (uint64_t)n) return r; /* an index outside x: the caller raises */
            sum += amounts[r] * x[j];
        }
        out[v] = sum;
    }
    return -1;
}

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_scorekernel",
    "Batch scoring kernel (called through ctypes: tanzuji.scale.kernel).", -1, NULL,
};

PyMODINIT_FUNC PyInit__scorekernel(void) { return PyModule_Create(&module); }
