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

/* The sums of one place (a country or bucket) in by_country. */
typedef struct { PyObject *place; int64_t attempts, probes, addresses; int from_sources, from_probes; } PlaceSums;

/* Add one address's count to the sums of its place (found by the place's object: country_of gives one str object
 * per country); `attempts` chooses the sum. 0, or -1 with an exception set. */
static int add_place(Map *index, PlaceSums **sums, size_t *n, size_t *cap, PyObject *country_of, PyObject *address,
                     PyObject *count, int attempts, int distinct) {
    PyObject *place = PyDict_GetItemWithError(country_of, address);
    if (!place) {
        if (!PyErr_Occurred()) PyErr_SetObject(PyExc_KeyError, address);
        return -1;
    }
    long long value = PyLong_AsLongLong(count);
    if (value == -1 && PyErr_Occurred()) return -1;
    uint32_t at = map_get(index, (uintptr_t)place, 0);
    if (at == NONE) {
        if (*n == *cap) {
            size_t grown = *cap ? *cap * 2 : 64;
            PlaceSums *more = realloc(*sums, grown * sizeof **sums);
            if (!more) { PyErr_NoMemory(); return -1; }
            *sums = more;
            *cap = grown;
        }
        at = (uint32_t)(*n)++;
        (*sums)[at] = (PlaceSums){place, 0, 0, 0, 0, 0};
        if (map_put(index, (uintptr_t)place, 0, at) < 0) { PyErr_NoMemory(); return -1; }
    }
    PlaceSums *found = &(*sums)[at];
    if (attempts) {
        found->attempts += value;
        found->from_sources = 1;
    } else {
        found->probes += value;
        found->from_probes = 1;
    }
    found->addresses += distinct;
    return 0;
}

/* The sums by place of one map from address to place, as by_country adds them up. */
typedef struct { Map index; PlaceSums *sums; size_t n, cap; PyObject *place_of; } Places;

/* by_country(sources, probes, maps): a slice's counts by place (sums.by_country), for each map from address to place
 * in the tuple `maps` (a country, a network): attempts, the counts of `sources` summed by the place the map gives
 * each address; probes, likewise of `probes`; and addresses, how many distinct addresses of either. A tuple of three
 * new dictionaries per map: a place is in each that one of its addresses is in (at a count of 0 too), as
 * sums.by_country_reference gives them. Each address is looked at once for every map. */
static PyObject *by_country(PyObject *module, PyObject *args) {
    PyObject *sources, *probes, *maps, *address, *count, *result = NULL;
    if (!PyArg_ParseTuple(args, "O!O!O!:by_country", &PyDict_Type, &sources, &PyDict_Type, &probes, &PyTuple_Type,
                          &maps))
        return NULL;
    Py_ssize_t n_maps = PyTuple_GET_SIZE(maps);
    if (n_maps < 1 || n_maps > 4) {
        PyErr_SetString(PyExc_ValueError, "by_country: one to four maps of places");
        return NULL;
    }
    Places places[4] = {{{0}}};
    for (Py_ssize_t j = 0; j < n_maps; j++) {
        places[j].place_of = PyTuple_GET_ITEM(maps, j);
        if (!PyDict_Check(places[j].place_of)) {
            PyErr_SetString(PyExc_TypeError, "by_country: the maps of places are dictionaries");
            goto done;
        }
        if (map_init(&places[j].index, 256) < 0) { PyErr_NoMemory(); goto done; }
    }
    Py_ssize_t at = 0;
    while (PyDict_Next(sources, &at, &address, &count))
        for (Py_ssize_t j = 0; j < n_maps; j++) {
            Places *p = &places[j];
            if (add_place(&p->index, &p->sums, &p->n, &p->cap, p->place_of, address, count, 1, 1) < 0) goto done;
        }
    at = 0;
    while (PyDict_Next(probes, &at, &address, &count)) {
        int known = PyDict_Contains(sources, address);
        if (known < 0) goto done;
        for (Py_ssize_t j = 0; j < n_maps; j++) {
            Places *p = &places[j];
            if (add_place(&p->index, &p->sums, &p->n, &p->cap, p->place_of, address, count, 0, !known) < 0) goto done;
        }
    }
    if (!(result = PyTuple_New(n_maps))) goto done;
    for (Py_ssize_t j = 0; j < n_maps; j++) {
        PyObject *out[3] = {PyDict_New(), PyDict_New(), PyDict_New()};
        int failed = !out[0] || !out[1] || !out[2];
        for (size_t i = 0; !failed && i < places[j].n; i++) {
            PlaceSums *one = &places[j].sums[i];
            failed = (one->from_sources && dict_add(out[0], one->place, one->attempts) < 0) ||
                     (one->from_probes && dict_add(out[1], one->place, one->probes) < 0) ||
                     (one->addresses && dict_add(out[2], one->place, one->addresses) < 0);
        }
        PyObject *three = failed ? NULL : PyTuple_Pack(3, out[0], out[1], out[2]);
        for (int i = 0; i < 3; i++) Py_XDECREF(out[i]);
        if (!three) { Py_CLEAR(result); goto done; }
        PyTuple_SET_ITEM(result, j, three);
    }
done:
    for (Py_ssize_t j = 0; j < n_maps; j++) {
        free(places[j].sums);
        map_free(&places[j].index);
    }
    return result;
}

/* add_into(total, parts): add each dictionary of counts in the list `parts` into `total` (a dictionary, or a Counter:
 * it is written as a dictionary), key by key, as Counter.update adds a mapping (sums.added_reference). */
static PyObject *add_into(PyObject *module, PyObject *args) {
    PyObject *total, *parts, *key, *count;
    if (!PyArg_ParseTuple(args, "O!O!:add_into", &PyDict_Type, &total, &PyList_Type, &parts)) return NULL;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(parts); i++) {
        PyObject *part = PyList_GET_ITEM(parts, i);
        if (!PyDict_Check(part)) { PyErr_SetString(PyExc_TypeError, "counts are a dictionary"); return NULL; }
        if (part == total) { PyErr_SetString(PyExc_ValueError, "counts cannot be added into themselves"); return NULL; }
        Py_ssize_t at = 0;
        while (PyDict_Next(part, &at, &key, &count)) {
            PyObject *known = PyDict_GetItemWithError(total, key);
            if (!known && PyErr_Occurred()) return NULL;
            if (!known) {
                if (PyDict_SetItem(total, key, count) < 0) return NULL;
                continue;
            }
            PyObject *sum = PyNumber_Add(count, known);
            if (!sum) return NULL;
            int failed = PyDict_SetItem(total, key, sum);
            Py_DECREF(sum);
            if (failed < 0) return NULL;
        }
    }
    Py_RETURN_NONE;
}

/* One count of top(): its key and value (references held: a comparison may run Python code). */
typedef struct { PyObject *key, *value; } Ranked;

/* Whether `a` ranks before `b`: a larger value, or an equal one and a lesser key (site._largest_first). 1, 0, or -1
 * with an error set. Small whole values are compared as numbers, text keys as text; anything else as Python does. */
static int ranks_before(Ranked a, Ranked b) {
    int small = 0;  /* both values whole numbers within 64 bits: compared as such */
    if (PyLong_CheckExact(a.value) && PyLong_CheckExact(b.value)) {
        int wide_a, wide_b;
        long long x = PyLong_AsLongLongAndOverflow(a.value, &wide_a), y = PyLong_AsLongLongAndOverflow(b.value, &wide_b);
        if ((x == -1 || y == -1) && PyErr_Occurred()) return -1;
        if ((small = !wide_a && !wide_b) && x != y) return x > y;
    }
    if (!small) {
        int greater = PyObject_RichCompareBool(a.value, b.value, Py_GT);
        if (greater) return greater;
        int equal = PyObject_RichCompareBool(a.value, b.value, Py_EQ);
        if (equal <= 0) return equal;
    }
    if (PyUnicode_CheckExact(a.key) && PyUnicode_CheckExact(b.key)) {
        int order = PyUnicode_Compare(a.key, b.key);
        if (order == -1 && PyErr_Occurred()) return -1;
        return order < 0;
    }
    return PyObject_RichCompareBool(a.key, b.key, Py_LT);
}

/* Move heap[at] down the heap of `n` (the count ranked last at its root) to its place. 0, or -1 with an error set. */
static int sift_down(Ranked *heap, Py_ssize_t n, Py_ssize_t at) {
    for (;;) {
        Py_ssize_t last = at, left = 2 * at + 1, right = left + 1;
        for (Py_ssize_t child = left; child <= right && child < n; child++) {
            int before = ranks_before(heap[last], heap[child]);  /* the child ranks after: nearer the root */
            if (before < 0) return -1;
            if (before) last = child;
        }
        if (last == at) return 0;
        Ranked swap = heap[at];
        heap[at] = heap[last];
        heap[last] = swap;
        at = last;
    }
}

/* top(counts, size): the `size` largest counts of a dictionary as [key, value] lists, largest first, ties in key
 * order (site.top_counts), from a heap of `size`: a slice's thousands of addresses are never sorted. */
static PyObject *top(PyObject *module, PyObject *args) {
    PyObject *counts, *key, *value, *result = NULL;
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "O!n:top", &PyDict_Type, &counts, &size)) return NULL;
    if (size > PyDict_GET_SIZE(counts)) size = PyDict_GET_SIZE(counts);
    if (size <= 0) return PyList_New(0);
    Ranked *heap = PyMem_Malloc((size_t)size * sizeof *heap);
    if (!heap) return PyErr_NoMemory();
    Py_ssize_t n = 0, at = 0;
    while (PyDict_Next(counts, &at, &key, &value)) {
        Ranked one = {Py_NewRef(key), Py_NewRef(value)};  /* held: a comparison may run code that changes counts */
        if (n < size) {  /* filled, then made a heap once */
            heap[n++] = one;
            if (n == size)
                for (Py_ssize_t i = size / 2; i-- > 0;)
                    if (sift_down(heap, n, i) < 0) goto done;
            continue;
        }
        int before = ranks_before(one, heap[0]);
        if (before > 0) {
            Py_DECREF(heap[0].key);
            Py_DECREF(heap[0].value);
            heap[0] = one;
            if (sift_down(heap, n, 0) < 0) goto done;
            continue;
        }
        Py_DECREF(one.key);
        Py_DECREF(one.value);
        if (before < 0) goto done;
    }
    if (n < size)  /* the counts changed while they were read (code a comparison ran): fewer than asked for */
        for (Py_ssize_t i = n / 2; i-- > 0;)
            if (sift_down(heap, n, i) < 0) goto done;
    if (!(result = PyList_New(n))) goto done;
    for (Py_ssize_t i = n; i-- > 0;) {  /* the root ranks last: taken from the end */
        PyObject *pair = PyList_New(2);
        if (!pair) { Py_CLEAR(result); goto done; }
        PyList_SET_ITEM(pair, 0, heap[0].key);  /* the heap's references, handed over */
        PyList_SET_ITEM(pair, 1, heap[0].value);
        PyList_SET_ITEM(result, i, pair);
        heap[0] = heap[i];
        n = i;
        if (sift_down(heap, n, 0) < 0) { Py_CLEAR(result); goto done; }
    }
done:
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_DECREF(heap[i].key);
        Py_DECREF(heap[i].value);
    }
    PyMem_Free(heap);
    return result;
}

static PyMethodDef SUMS[] = {
    {"add_into", add_into, METH_VARARGS, "add_into(total, parts): each dictionary of counts in parts added into total."},
    {"by_country", by_country, METH_VARARGS,
     "by_country(sources, probes, maps): per map of places, a slice's attempts, probes and distinct addresses by place."},
    {"top", top, METH_VARARGS,
     "top(counts, size): the size largest counts as [key, value] lists, largest first, ties in key order."},
    {"running_counts", running_counts, METH_VARARGS,
     "running_counts(slices, columns, asks): for each (position, column) ask, the column's counts in slices before it."},
    {NULL, NULL, 0, NULL},
};
