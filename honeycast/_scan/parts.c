/* What a part of several hands the join (scan.join): its head's lines and keys, where it begins and ends, and the
 * connections open at its end. Part of module.c, the Python glue. */

static PyObject *time_tuple(Time t) { return Py_BuildValue("(LNi)", (long long)t.wall, offset_object(t.offset), (int)t.fold); }

static PyObject *text_of(Strings *strings, uint32_t id) {
    if (id == NONE) Py_RETURN_NONE;
    return PyUnicode_DecodeUTF8(strings->bytes + strings->start[id], strings->length[id], "surrogatepass");
}

static PyObject *Scanner_head(Scanner *self, PyObject *unused) {
    ScanState *s = &self->s;
    if (enter(self, ALLOWED(FINISHED) | ALLOWED(SLICED) | ALLOWED(TAKEN), "head") < 0) return NULL;
    PyObject *clocks = PyList_New((Py_ssize_t)s->journal_clocks.len);
    for (size_t i = 0; clocks && i < s->journal_clocks.len; i++) {
        Time t = AT(s->journal_clocks, Time, i);
        PyObject *clock = t.wall == INT64_MIN ? Py_NewRef(Py_None) : time_tuple(t);
        if (!clock) Py_CLEAR(clocks);
        else PyList_SET_ITEM(clocks, (Py_ssize_t)i, clock);
    }
    PyObject *r = clocks ? Py_BuildValue("(y#N)", s->journal ? s->journal : "", (Py_ssize_t)s->journal_len, clocks) : NULL;
    s->busy = 0;
    return r;
}

/* The lines fail2ban or sshguard may have written, as they came, each ending in \n (defences.py reads them). */
static PyObject *Scanner_defences(Scanner *self, PyObject *unused) {
    ScanState *s = &self->s;
    if (enter(self, ALLOWED(FINISHED) | ALLOWED(SLICED) | ALLOWED(TAKEN), "defences") < 0) return NULL;
    PyObject *r = PyBytes_FromStringAndSize(s->defence ? s->defence : "", (Py_ssize_t)s->defence_len);
    s->busy = 0;
    return r;
}

/* (host, pid, source or None, port or -1, last, open login) of each connection of a part's head (scan.join: whether the parts
 * before can reach it). */
static PyObject *Scanner_head_keys(Scanner *self, PyObject *unused) {
    ScanState *s = &self->s;
    if (enter(self, ALLOWED(FINISHED) | ALLOWED(SLICED) | ALLOWED(TAKEN), "head_keys") < 0) return NULL;
    PyObject *list = PyList_New(0);
    for (size_t i = 0; list && i < s->head_connections.len; i++) {
        Connection *c = &AT(s->head_connections, Connection, i);
        PyObject *item = Py_BuildValue("(NKNLNi)", text_of(&s->hosts, (uint32_t)c->host), (unsigned long long)c->pid,
                                       text_of(&s->sources, c->source), (long long)c->port, time_tuple(c->last),
                                       c->session && !c->closed);
        if (!item || PyList_Append(list, item) < 0) Py_CLEAR(list);
        Py_XDECREF(item);
    }
    s->busy = 0;
    return list;
}

static PyObject *Scanner_edges(Scanner *self, PyObject *unused) {
    ScanState *s = &self->s;
    if (enter(self, ALLOWED(FINISHED) | ALLOWED(SLICED) | ALLOWED(TAKEN), "edges") < 0) return NULL;
    PyObject *clocks = PyList_New(0);
    for (size_t i = 0; clocks && i < s->host_clocks.len; i++) {
        HostClock clock = AT(s->host_clocks, HostClock, i);
        PyObject *item = clock.seen ? Py_BuildValue("(nN)", (Py_ssize_t)i, time_tuple(clock.t)) : NULL;
        if (clock.seen && (!item || PyList_Append(clocks, item) < 0)) Py_CLEAR(clocks);
        Py_XDECREF(item);
    }
    PyObject *first = s->has_first ? time_tuple(s->first) : Py_NewRef(Py_None);
    PyObject *r = NULL;
    if (clocks && first) r = Py_BuildValue("(NNi)", first, clocks, s->head_disorder);  /* both taken over, whatever comes of it */
    else { Py_XDECREF(clocks); Py_XDECREF(first); }
    s->busy = 0;
    return r;
}

/* carried(zone, carried, kinds, program): the connections open at a part's end as parts.Carried (the type
 * ``carried``): (host, program, pid, source, ip (None for a host name), port or None, tried, closed, session,
 * session_key, ended (time and kinds[its kind], or None), last, pending, settled); pending: (time, user or None,
 * times) of each waiting PAM failure; times as datetimes in zone (or their own offset). Once: they are let go. */
static PyObject *Scanner_carried(Scanner *self, PyObject *args) {
    ScanState *s = &self->s;
    PyObject *zone, *kinds, *program;
    PyTypeObject *type;
    if (!PyArg_ParseTuple(args, "OO!O!U:carried", &zone, &PyType_Type, &type, &PyTuple_Type, &kinds, &program))
        return NULL;
    if (!PyType_IsSubtype(type, &PyTuple_Type) || PyTuple_GET_SIZE(kinds) != N_KINDS) {
        PyErr_SetString(PyExc_TypeError, "carried(): a tuple type and a kind for each of the scanner's kinds");
        return NULL;
    }
    if (enter(self, ALLOWED(FINISHED) | ALLOWED(SLICED) | ALLOWED(TAKEN), "carried") < 0) return NULL;
    Moments *m = calloc(1, sizeof *m);
    PyObject *list = m ? PyList_New(0) : PyErr_NoMemory();
    if (m) {
        m->zone = zone;
        if (!(m->offsets = PyDict_New())) Py_CLEAR(list);
    }
    for (size_t i = 0; list && i < s->carried.len; i++) {
        Connection *c = &AT(s->carried, Connection, i);
        PyObject *pending = PyTuple_New(c->pending_len - c->pending_first);
        for (uint32_t k = c->pending_first; pending && k < c->pending_len; k++) {
            Pending *one = &c->pending[k];
            PyObject *items[3] = {moment(m, one->time), text_of(&s->users, one->user), PyLong_FromLongLong(one->times)};
            PyObject *item = typed_tuple(&PyTuple_Type, 3, items);
            if (!item) Py_CLEAR(pending);
            else PyTuple_SET_ITEM(pending, k - c->pending_first, item);
        }
        PyObject *ended = Py_NewRef(Py_None);
        if (c->ended) {
            PyObject *items[2] = {moment(m, c->ended_at), Py_NewRef(PyTuple_GET_ITEM(kinds, c->ended_kind))};
            Py_SETREF(ended, typed_tuple(&PyTuple_Type, 2, items));
        }
        PyObject *source = text_of(&s->sources, c->source);
        int is_host = c->source == NONE ? 0 : (int)INFO(s, c->source).is_host;
        PyObject *items[14] = {
            text_of(&s->hosts, (uint32_t)c->host), Py_NewRef(program), PyLong_FromUnsignedLongLong(c->pid), source,
            source ? Py_NewRef(is_host ? Py_None : source) : NULL,
            c->port < 0 ? Py_NewRef(Py_None) : PyLong_FromLongLong(c->port), PyBool_FromLong(c->tried),
            PyBool_FromLong(c->closed), PyBool_FromLong(c->session), PyBool_FromLong(c->session_key), ended,
            moment(m, c->last), pending, PyLong_FromLongLong(c->settled)};
        PyObject *item = typed_tuple(type, 14, items);
        if (!item || PyList_Append(list, item) < 0) Py_CLEAR(list);
        Py_XDECREF(item);
    }
    if (m) moments_free(m);
    for (size_t i = 0; i < s->carried.len; i++) free(AT(s->carried, Connection, i).pending);
    s->carried.len = 0;
    s->busy = 0;
    return list;
}
