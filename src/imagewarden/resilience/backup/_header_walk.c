/* The DICOM header walk of header.py in C: the same results, errors and NeedMore sizes.
 *
 * header.py holds the reference walker (pure Python) and picks this one when it is built;
 * tests/resilience/test_header_native.py checks that both agree on real, damaged and random
 * headers. Every comment about *what* is checked is in header.py; this file mirrors it step
 * by step, so a change there must be made here too (the differential test fails otherwise).
 *
 * Safety: the file is hostile. Positions are file offsets; the bytes read are a window
 * [base, end) on the file (the first buffer, or the last bytes read_at returned), and every
 * read of them is preceded by ensure(), which checks both bounds of the window and moves it
 * (or fails) first. Positions are 64-bit and grow by at most 2**32 + 12 per element, so
 * they cannot wrap; the loops end because every step moves forward (or returns) and a
 * window is finite (a position past the file's end fails); the sequence loop and the
 * nesting depth have the same limits as the Python walker. The values kept (the UIDs and
 * the transfer syntax) point into a window; before a window read with read_at is let go,
 * those in it are copied (keep_values). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define PREAMBLE 128
#define UNDEFINED 0xFFFFFFFFu
#define ITEM 0xFFFEE000u
#define SEQ_END 0xFFFEE0DDu
#define MAX_DEPTH 16
#define MAX_ITEMS 10000000L
#define MAX_META_ELEMENTS 1000
#define NO_END ((int64_t)1 << 62) /* header.py's _NO_END */

/* what an explicit VR says about its element (header.py's _VR_KINDS); -1: not a VR */
enum { SHORT = 0, IMPLICIT = 1, LONG = 2, LONG_SQ = 3, LONG_UN = 4 };
/* the values kept: the UIDs, in HeaderInfo's argument order after the transfer syntax, and
 * the transfer syntax */
enum { SOP_CLASS = 0, SOP_INSTANCE = 1, STUDY = 2, SERIES = 3, WANTED = 4, SYNTAX = 4, KEPT = 5 };

static PyObject *header_info_type = NULL;
static PyObject *header_error_type = NULL;
static PyObject *need_more_type = NULL;

typedef struct {
    const unsigned char *buf; /* the window: the file's bytes from base to end */
    int64_t base;
    int64_t end;
    int64_t size; /* where the file ends, NO_END when unknown (header.py's _Walker.size) */
    const unsigned char *first;
    int64_t first_length;
    PyObject *read_at; /* NULL: a bare buffer, NeedMore where the walk would read */
    Py_buffer window;  /* the last bytes read_at returned, when window_held */
    int window_held;
    int big_endian;
    /* each value kept: its bytes (in a window or in kept_copy) and length; NULL when absent */
    const unsigned char *kept_at[KEPT];
    int64_t kept_length[KEPT];
    PyObject *kept_copy[KEPT];
    /* the failure, raised as a Python exception once the walk has unwound */
    int python_error;         /* read_at raised (or returned no buffer): already set */
    const char *error_code;   /* a HeaderError code, or NULL for NeedMore */
    const char *error_detail; /* printf format with one %lld (the offset), or a plain text */
    int detail_has_offset;
    int64_t error_offset;
    int64_t need_size;
} Walker;

static inline uint32_t u16(int big_endian, const unsigned char *p) {
    return big_endian ? ((uint32_t)p[0] << 8 | p[1]) : ((uint32_t)p[1] << 8 | p[0]);
}

static inline uint32_t u32(int big_endian, const unsigned char *p) {
    if (big_endian)
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* the window's bytes at file offset ``pos`` (ensure()d by the caller) */
static inline const unsigned char *at(const Walker *w, int64_t pos) {
    return w->buf + (pos - w->base);
}

static inline uint32_t u16_at(const Walker *w, int64_t pos) {
    return u16(w->big_endian, at(w, pos));
}

static inline unsigned char byte_at(const Walker *w, int64_t pos) {
    return *at(w, pos);
}

static inline uint32_t u32_at(const Walker *w, int64_t pos) {
    return u32(w->big_endian, at(w, pos));
}

static int vr_kind(unsigned char a, unsigned char b) {
    switch ((a << 8) | b) {
    case ('O' << 8) | 'B': case ('O' << 8) | 'D': case ('O' << 8) | 'F':
    case ('O' << 8) | 'L': case ('O' << 8) | 'V': case ('O' << 8) | 'W':
    case ('U' << 8) | 'C': case ('U' << 8) | 'R': case ('U' << 8) | 'T':
    case ('S' << 8) | 'V': case ('U' << 8) | 'V':
        return LONG;
    case ('S' << 8) | 'Q':
        return LONG_SQ;
    case ('U' << 8) | 'N':
        return LONG_UN;
    case ('A' << 8) | 'E': case ('A' << 8) | 'S': case ('A' << 8) | 'T':
    case ('C' << 8) | 'S': case ('D' << 8) | 'A': case ('D' << 8) | 'S':
    case ('D' << 8) | 'T': case ('F' << 8) | 'L': case ('F' << 8) | 'D':
    case ('I' << 8) | 'S': case ('L' << 8) | 'O': case ('L' << 8) | 'T':
    case ('P' << 8) | 'N': case ('S' << 8) | 'H': case ('S' << 8) | 'L':
    case ('S' << 8) | 'S': case ('S' << 8) | 'T': case ('T' << 8) | 'M':
    case ('U' << 8) | 'I': case ('U' << 8) | 'L': case ('U' << 8) | 'S':
        return SHORT;
    default:
        return -1;
    }
}

static int wanted_index(uint32_t group, uint32_t elem) {
    if (group == 0x0008) {
        if (elem == 0x0016) return SOP_CLASS;
        if (elem == 0x0018) return SOP_INSTANCE;
    } else if (group == 0x0020) {
        if (elem == 0x000D) return STUDY;
        if (elem == 0x000E) return SERIES;
    }
    return -1;
}

static int need_more(Walker *w, int64_t size) {
    w->error_code = NULL;
    w->need_size = size;
    return -1;
}

static int header_error(Walker *w, const char *code, const char *detail, int has_offset,
                        int64_t offset) {
    w->error_code = code;
    w->error_detail = detail;
    w->detail_has_offset = has_offset;
    w->error_offset = offset;
    return -1;
}

static int bad_vr(Walker *w, int64_t pos) {
    return header_error(w, "bad_vr", "invalid VR at offset %lld", 1, pos);
}

static int python_error(Walker *w) {
    w->python_error = 1;
    w->error_code = "python";
    return -1;
}

static void release_window(Walker *w) {
    if (w->window_held) {
        PyBuffer_Release(&w->window);
        w->window_held = 0;
    }
}

/* copy the kept values that are in the window read with read_at, before it is let go */
static int keep_values(Walker *w) {
    if (!w->window_held) return 0;
    const uintptr_t start = (uintptr_t)w->window.buf;
    for (int i = 0; i < KEPT; i++) {
        const unsigned char *at = w->kept_at[i];
        /* addresses as integers: comparing pointers into different objects is undefined */
        if (at == NULL || w->kept_copy[i] != NULL || (uintptr_t)at < start ||
            (uintptr_t)at >= start + (uintptr_t)w->window.len)
            continue;
        PyObject *copy = PyBytes_FromStringAndSize((const char *)at, (Py_ssize_t)w->kept_length[i]);
        if (copy == NULL) return -1;
        w->kept_copy[i] = copy;
        w->kept_at[i] = (const unsigned char *)PyBytes_AS_STRING(copy);
    }
    return 0;
}

/* keep the value [value, value + length), which is in the window */
static void keep(Walker *w, int index, int64_t value, int64_t length) {
    Py_CLEAR(w->kept_copy[index]);
    /* an empty value may sit at the window's very end: it points at nothing to copy */
    w->kept_at[index] = length == 0 ? (const unsigned char *)"" : w->buf + (value - w->base);
    w->kept_length[index] = length;
}

/* header.py's _Walker.fetch: make the file's bytes [pos, stop) the window */
static int fetch(Walker *w, int64_t pos, int64_t stop) {
    if (stop > w->size || w->read_at == NULL) return need_more(w, stop);
    PyObject *data = PyObject_CallFunction(w->read_at, "LL", (long long)pos,
                                           (long long)(stop - pos));
    if (data == NULL) return python_error(w);
    Py_buffer view;
    int got = PyObject_GetBuffer(data, &view, PyBUF_SIMPLE);
    Py_DECREF(data); /* the view holds its own reference */
    if (got < 0) return python_error(w);
    if ((int64_t)view.len < stop - pos) {
        PyBuffer_Release(&view);
        return need_more(w, stop);
    }
    if (keep_values(w) < 0) {
        PyBuffer_Release(&view);
        return python_error(w);
    }
    release_window(w);
    w->window = view;
    w->window_held = 1;
    w->buf = (const unsigned char *)view.buf;
    w->base = pos;
    w->end = pos + (int64_t)view.len;
    return 0;
}

/* the file's bytes [pos, stop) are in the window, moved there when they were not */
static inline int ensure(Walker *w, int64_t pos, int64_t stop) {
    if (pos >= w->base && stop <= w->end) return 0;
    return fetch(w, pos, stop);
}

/* header.py's _Walker.use_first */
static int use_first(Walker *w) {
    if (keep_values(w) < 0) return python_error(w);
    release_window(w);
    w->buf = w->first;
    w->base = 0;
    w->end = w->first_length;
    return 0;
}

static int walk(Walker *w, int64_t pos, int depth, int top, int explicit, int64_t *end_out,
                int64_t *pixel_out);

/* Where the value of the element at ``pos`` starts, and its length: a long VR's 4-byte length
 * follows 2 reserved bytes; other kinds keep the ``length`` already read */
static int value_of(Walker *w, int64_t pos, int kind, uint32_t *length, int64_t *value) {
    if (kind >= LONG) {
        if (ensure(w, pos, pos + 12) < 0) return -1;
        *length = u32_at(w, pos + 8);
        *value = pos + 12;
    } else {
        *value = pos + 8;
    }
    return 0;
}

/* header.py's _Walker._sequence: skip an undefined-length sequence from its first item */
static int sequence(Walker *w, int64_t pos, int depth, int explicit, int64_t *end_out) {
    for (long turn = 0; turn < MAX_ITEMS; turn++) {
        if (ensure(w, pos, pos + 8) < 0) return -1;
        uint32_t tag = u16_at(w, pos) << 16 | u16_at(w, pos + 2);
        uint32_t length = u32_at(w, pos + 4);
        int64_t value = pos + 8;
        if (tag == SEQ_END) {
            *end_out = value;
            return 0;
        }
        if (tag != ITEM)
            return header_error(w, "bad_sequence", "expected item at offset %lld", 1, pos);
        if (length == UNDEFINED) {
            int64_t pixel;
            if (walk(w, value, depth, 0, explicit, &pos, &pixel) < 0) return -1;
        } else {
            pos = value + length;
        }
    }
    return header_error(w, "bad_sequence", "too many items", 0, 0);
}

/* header.py's _Walker.walk */
static int walk(Walker *w, int64_t pos, int depth, int top, int explicit, int64_t *end_out,
                int64_t *pixel_out) {
    if (depth > MAX_DEPTH) return header_error(w, "nesting_too_deep", "", 0, 0);
    /* the hot loop: the window in locals, reloaded after each call that may move it */
    const unsigned char *buf = w->buf;
    int64_t base = w->base, limit = w->end;
    const int big_endian = w->big_endian;
#define RELOAD_WINDOW() (buf = w->buf, base = w->base, limit = w->end)
    /* each turn moves pos forward by 8 or more, or returns; a position past the file's end
     * (or past a bare buffer's) fails in fetch, so this ends */
    for (;;) {
        if (pos + 8 > limit || pos < base) {
            if (pos == w->size && top) {
                *end_out = pos;
                *pixel_out = -1;
                return 0;
            }
            if (fetch(w, pos, pos + 8) < 0) return -1;
            RELOAD_WINDOW();
        }
        const unsigned char *p = buf + (pos - base);
        uint32_t group = u16(big_endian, p), elem = u16(big_endian, p + 2);
        uint32_t length;
        int kind;
        if (explicit) {
            length = u16(big_endian, p + 6);
            kind = group == 0xFFFE ? SHORT : vr_kind(p[4], p[5]);
        } else {
            length = u32(big_endian, p + 4);
            kind = IMPLICIT;
        }
        if (group == 0xFFFE) {
            if (elem == 0xE00D && !top) {
                *end_out = pos + 8;
                *pixel_out = -1;
                return 0;
            }
            return header_error(w, "bad_sequence", "unexpected delimiter at offset %lld", 1, pos);
        }
        if (group == 0x7FE0 && elem == 0x0010 && top) {
            *end_out = pos;
            *pixel_out = pos;
            return 0;
        }
        if (kind < 0) return bad_vr(w, pos);
        int64_t value = pos + 8;
        if (kind >= LONG) { /* a 4-byte length after 2 reserved bytes */
            if (pos + 12 > limit) {
                if (fetch(w, pos, pos + 12) < 0) return -1;
                RELOAD_WINDOW();
            }
            length = u32(big_endian, buf + (pos + 8 - base));
            value = pos + 12;
        }
        if (length == UNDEFINED) {
            if (sequence(w, value, depth + 1, explicit && kind != LONG_UN, &pos) < 0) return -1;
            RELOAD_WINDOW();
            continue;
        }
        int64_t end = value + length;
        if ((group == 0x0008 || group == 0x0020) && top && kind != LONG_SQ) {
            int field = wanted_index(group, elem);
            if (field >= 0) {
                if (end > limit) {
                    if (fetch(w, value, end) < 0) return -1;
                    RELOAD_WINDOW();
                }
                keep(w, field, value, length);
            }
        }
        pos = end;
    }
#undef RELOAD_WINDOW
}

/* header.py's _Walker.meta: the file meta group, always explicit VR little endian */
static int meta(Walker *w, int64_t *end_out) {
    int64_t pos = PREAMBLE + 4;
    for (int turn = 0; turn < MAX_META_ELEMENTS; turn++) {
        if (ensure(w, pos, pos + 8) < 0) return -1;
        uint32_t group = u16_at(w, pos), elem = u16_at(w, pos + 2);
        uint32_t length = u16_at(w, pos + 6);
        if (group != 0x0002) {
            *end_out = pos;
            return 0;
        }
        int kind = vr_kind(byte_at(w, pos + 4), byte_at(w, pos + 5));
        if (kind < 0) return bad_vr(w, pos);
        int64_t value;
        if (value_of(w, pos, kind, &length, &value) < 0) return -1;
        if (length == UNDEFINED)
            return header_error(w, "bad_meta", "undefined length in file meta group", 0, 0);
        int64_t end = value + length;
        if (elem == 0x0010) {
            if (ensure(w, value, end) < 0) return -1;
            keep(w, SYNTAX, value, length);
        }
        pos = end;
    }
    return header_error(w, "bad_meta", "file meta group too long", 0, 0);
}

/* header.py's _uid: trailing NULs and spaces dropped, ASCII with U+FFFD for other bytes */
static int64_t uid_length(const unsigned char *raw, int64_t length) {
    while (length > 0 && (raw[length - 1] == 0 || raw[length - 1] == ' ')) length--;
    return length;
}

static PyObject *uid(const unsigned char *raw, int64_t length) {
    return PyUnicode_DecodeASCII((const char *)raw, (Py_ssize_t)uid_length(raw, length),
                                 "replace");
}

static int same_uid(const unsigned char *raw, int64_t length, const char *uid_text) {
    int64_t size = (int64_t)strlen(uid_text);
    return length == size && memcmp(raw, uid_text, (size_t)size) == 0;
}

static void raise_failure(const Walker *w) {
    PyObject *exc;
    if (w->python_error) return;
    if (w->error_code == NULL) {
        exc = PyObject_CallFunction(need_more_type, "L", (long long)w->need_size);
        if (exc != NULL) {
            PyErr_SetObject(need_more_type, exc);
            Py_DECREF(exc);
        }
        return;
    }
    PyObject *detail = w->detail_has_offset
                           ? PyUnicode_FromFormat(w->error_detail, (long long)w->error_offset)
                           : PyUnicode_FromString(w->error_detail);
    if (detail == NULL) return;
    exc = PyObject_CallFunction(header_error_type, "sO", w->error_code, detail);
    Py_DECREF(detail);
    if (exc != NULL) {
        PyErr_SetObject(header_error_type, exc);
        Py_DECREF(exc);
    }
}

static void forget_found(Walker *w) {
    for (int i = 0; i < WANTED; i++) {
        Py_CLEAR(w->kept_copy[i]);
        w->kept_at[i] = NULL;
    }
}

/* header.py's _Walker.element, for the Pixel Data element: its end, -1 if undefined */
static int pixel_data_end(Walker *w, int64_t pos, int explicit, int64_t *end_out) {
    if (ensure(w, pos, pos + 8) < 0) return -1;
    uint32_t length;
    int64_t value;
    if (explicit) {
        int kind = vr_kind(byte_at(w, pos + 4), byte_at(w, pos + 5));
        if (kind < 0) return bad_vr(w, pos);
        length = u16_at(w, pos + 6);
        if (value_of(w, pos, kind, &length, &value) < 0) return -1;
    } else {
        length = u32_at(w, pos + 4);
        value = pos + 8;
    }
    *end_out = length == UNDEFINED ? -1 : value + length;
    return 0;
}

static PyObject *header_info(const Walker *w, int64_t pixel, int64_t pixel_end, int walked) {
    PyObject *args[8] = {NULL};
    PyObject *result = NULL;
    args[0] = uid(w->kept_at[SYNTAX], w->kept_length[SYNTAX]);
    if (args[0] == NULL) goto done;
    for (int i = 0; i < WANTED; i++) {
        args[1 + i] = w->kept_at[i] == NULL ? PyUnicode_FromStringAndSize("", 0)
                                            : uid(w->kept_at[i], w->kept_length[i]);
        if (args[1 + i] == NULL) goto done;
    }
    args[5] = PyLong_FromLongLong((long long)pixel);
    args[6] = PyLong_FromLongLong((long long)pixel_end);
    args[7] = PyBool_FromLong(walked);
    if (args[5] == NULL || args[6] == NULL) goto done;
    result = PyObject_Vectorcall(header_info_type, args, 8, NULL);
done:
    for (int i = 0; i < 8; i++) Py_XDECREF(args[i]);
    return result;
}

static PyObject *walk_header(Walker *w) {
    if (w->first_length < PREAMBLE + 4 || memcmp(w->first + PREAMBLE, "DICM", 4) != 0) {
        header_error(w, "no_magic", "", 0, 0);
        return NULL;
    }
    int64_t pos;
    if (meta(w, &pos) < 0) return NULL;
    const unsigned char *syntax = w->kept_at[SYNTAX];
    int64_t stripped = syntax == NULL ? 0 : uid_length(syntax, w->kept_length[SYNTAX]);
    if (stripped == 0) {
        header_error(w, "no_transfer_syntax", "", 0, 0);
        return NULL;
    }
    /* a UID with non-ASCII bytes decodes with U+FFFD, so it equals none of these either */
    if (same_uid(syntax, stripped, "1.2.840.10008.1.2.1.99")) return header_info(w, -1, -1, 0);
    int explicit = !same_uid(syntax, stripped, "1.2.840.10008.1.2");
    w->big_endian = same_uid(syntax, stripped, "1.2.840.10008.1.2.2");
    int64_t end, pixel;
    if (walk(w, pos, 0, 1, explicit, &end, &pixel) < 0) {
        /* declared explicit, written implicit: the fallback of header.py's _read */
        int64_t known = w->read_at == NULL ? w->first_length : w->size;
        if (w->error_code == NULL || strcmp(w->error_code, "bad_vr") != 0 || !explicit ||
            pos >= known - 8)
            return NULL;
        if (use_first(w) < 0 || ensure(w, pos, pos + 8) < 0) return NULL;
        unsigned char a = byte_at(w, pos + 4), b = byte_at(w, pos + 5);
        if (a >= 65 && a <= 90 && b >= 65 && b <= 90) return NULL;
        forget_found(w);
        explicit = 0;
        if (walk(w, pos, 0, 1, explicit, &end, &pixel) < 0) return NULL;
    }
    int64_t pixel_end = -1;
    if (pixel >= 0 && pixel_data_end(w, pixel, explicit, &pixel_end) < 0) return NULL;
    return header_info(w, pixel, pixel_end, 1);
}

/* header.py's _read: ``size`` is where the file ends, NO_END when unknown */
static PyObject *read_from(const unsigned char *first, int64_t first_length, int64_t size,
                           PyObject *read_at) {
    Walker w;
    memset(&w, 0, sizeof w);
    w.buf = w.first = first;
    w.end = w.first_length = first_length;
    w.size = size;
    w.read_at = read_at;
    PyObject *result = walk_header(&w);
    if (result == NULL && !PyErr_Occurred()) raise_failure(&w);
    release_window(&w);
    for (int i = 0; i < KEPT; i++) Py_CLEAR(w.kept_copy[i]);
    return result;
}

static PyObject *read_header(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
                             PyObject *kwnames) {
    (void)module;
    if (header_info_type == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "read_header before bind()");
        return NULL;
    }
    if (nargs != 1 || kwnames == NULL || PyTuple_GET_SIZE(kwnames) != 1 ||
        !PyUnicode_Check(PyTuple_GET_ITEM(kwnames, 0)) ||
        PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, 0), "whole") != 0) {
        PyErr_SetString(PyExc_TypeError, "read_header(buf, *, whole)");
        return NULL;
    }
    int whole = PyObject_IsTrue(args[1]);
    if (whole < 0) return NULL;
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_SIMPLE) < 0) return NULL;
    int64_t length = (int64_t)view.len;
    PyObject *result =
        read_from((const unsigned char *)view.buf, length, whole ? length : NO_END, NULL);
    PyBuffer_Release(&view);
    return result;
}

static PyObject *read_file_header(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    (void)module;
    if (header_info_type == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "read_file_header before bind()");
        return NULL;
    }
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "read_file_header(first, size, read_at)");
        return NULL;
    }
    long long size = PyLong_AsLongLong(args[1]);
    if (size == -1 && PyErr_Occurred()) return NULL;
    if (size < 0 || size >= NO_END) {
        PyErr_SetString(PyExc_ValueError, "read_file_header: size out of range");
        return NULL;
    }
    if (!PyCallable_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "read_file_header: read_at is not callable");
        return NULL;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_SIMPLE) < 0) return NULL;
    PyObject *result =
        read_from((const unsigned char *)view.buf, (int64_t)view.len, (int64_t)size, args[2]);
    PyBuffer_Release(&view);
    return result;
}

static PyObject *bind(PyObject *module, PyObject *args) {
    PyObject *info, *error, *more;
    (void)module;
    if (!PyArg_ParseTuple(args, "OOO:bind", &info, &error, &more)) return NULL;
    Py_INCREF(info);
    Py_INCREF(error);
    Py_INCREF(more);
    Py_XSETREF(header_info_type, info);
    Py_XSETREF(header_error_type, error);
    Py_XSETREF(need_more_type, more);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"read_header", (PyCFunction)(void (*)(void))read_header, METH_FASTCALL | METH_KEYWORDS,
     "header.py's read_header, in C."},
    {"read_file_header", (PyCFunction)(void (*)(void))read_file_header, METH_FASTCALL,
     "header.py's read_file_header, in C."},
    {"bind", bind, METH_VARARGS,
     "Give the walk header.py's HeaderInfo, HeaderError and NeedMore classes."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_header_walk",
    "The DICOM header walk of header.py in C (header.py picks it when it is built).", -1,
    methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__header_walk(void) { return PyModule_Create(&module_def); }
