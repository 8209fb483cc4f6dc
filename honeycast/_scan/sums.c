/* Running sums over counts already handed to Python (sums.running_counts, for Tally.count_logins): a slice's counts
 * are dictionaries keyed by address, and the same address is the same str object in every slice one reader made,
 * so an address asked of is found by its object after the first time. Part of module.c, the Python glue. */

#define NOT_ASKED (NONE - 1)

/* The column of an address (a key of a slice's counts), NOT_ASKED if no ask names it; NONE on an error. The
 * columns found are kept by object: the addresses asked of are few beside those of a log of millions. */
static uint32_t column_of(Map *seen, PyObject *columns, PyObject *address) {
    uint32_t column = map_get(seen, (uintptr_t)address, 0);
    if (column != NONE) return column;
    PyObject *found = PyDict_GetItemWithError(columns, address);
    if (!found && PyErr_Occurred()) return NONE;
    long value = found ? PyLong_AsLong(found) : 0;
    if (value == -1 && PyErr_Occurred()) return NONE;
    if (value < 0 || value >= (long)NOT_ASKED) {
        PyErr_SetString(PyExc_ValueError, "a column is a whole number from 0 below the number of columns");
        return NONE;
    }
    if (!found) return NOT_ASKED;  /* not kept: most addresses of a log of millions are asked of by no login */
    if (map_put(seen, (uintptr_t)address, 0, (uint32_t)value) < 0) { PyErr_NoMemory(); return NONE; }
    return (uint32_t)value;
}

/* Add one slice's counts (a list of dictionaries, one per host) to the running sums. */
static int add_slice(PyObject *slice, Map *seen, PyObject *columns, int64_t *running, Py_ssize_t width) {
    if (!PyList_Check(slice)) { PyErr_SetString(PyExc_TypeError, "a slice is a list of dictionaries"); return -1; }
    for (Py_ssize_t h = 0; h < PyList_GET_SIZE(slice); h++) {
        PyObject *counts = PyList_GET_ITEM(slice, h), *address, *count;
        if (!PyDict_Check(counts)) { PyErr_SetString(PyExc_TypeError, "counts are a dictionary"); return -1; }
        Py_ssize_t at = 0;
        while (PyDict_Next(counts, &at, &address, &count)) {
            uint32_t column = column_of(seen, columns, address);
            if (column == NONE) return -1;
            if (column == NOT_ASKED) continue;
            if (column >= (uint64_t)width) {
                PyErr_SetString(PyExc_ValueError, "a column is a whole number from 0 below the number of columns");
                return -1;
            }
            long long value = PyLong_AsLongLong(count);
            if (value == -1 && PyErr_Occurred()) return -1;
            running[column] += value;
        }
    }
    return 0;
}

/* running_counts(slices, columns, asks): slices, a list of each slice's counts (a list of {address: count}, one per
 * host); columns, {address: column} for the addresses asked of; asks, (position, column) pairs by position. Returns
 * for each ask the sum of its column's counts in the slices before `position`. */
static PyObject *running_counts(PyObject *module, PyObject *args) {
    PyObject *slices, *columns, *asks;
    if (!PyArg_ParseTuple(args, "O!O!O!:running_counts", &PyList_Type, &slices, &PyDict_Type, &columns, &PyList_Type,
                          &asks))
        return NULL;
    Py_ssize_t width = PyDict_Size(columns), n = PyList_GET_SIZE(asks), next = 0, last = 0;
    int64_t *running = calloc((size_t)width + 1, sizeof *running);
    PyObject *out = PyList_New(n);
    Map seen = {0};
    if (!running || !out || map_init(&seen, 1 << 12) < 0) goto failed;
    for (Py_ssize_t i = 0; i <= PyList_GET_SIZE(slices); i++) {
        for (; next < n; next++) {  /* the asks due before slice i (every one left, after the last) */
            Py_ssize_t position, column;
            if (!PyArg_ParseTuple(PyList_GET_ITEM(asks, next), "nn:an ask", &position, &column)) goto failed;
            if (position < last || column < 0 || column >= width) {
                PyErr_SetString(PyExc_ValueError, "asks are (position, column) by position, of the columns given");
                goto failed;
            }
            last = position;
            if (i < PyList_GET_SIZE(slices) && position > i) break;
            PyObject *sum = PyLong_FromLongLong(running[column]);
            if (!sum) goto failed;
            PyList_SET_ITEM(out, next, sum);
        }
        if (i < PyList_GET_SIZE(slices) && add_slice(PyList_GET_ITEM(slices, i), &seen, columns, running, width) < 0)
            goto failed;
    }
    free(running);
    map_free(&seen);
    return out;
failed:
    if (!PyErr_Occurred()) PyErr_NoMemory();
    free(running);
    map_free(&seen);
    Py_XDECREF(out);
    return NULL;
}

static PyMethodDef SUMS[] = {
    {"running_counts", running_counts, METH_VARARGS,
     "running_counts(slices, columns, asks): for each (position, column) ask, the column's counts in slices before it."},
    {NULL, NULL, 0, NULL},
};
