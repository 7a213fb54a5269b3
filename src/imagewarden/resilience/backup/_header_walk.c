/* The DICOM header walk of header.py in C: the same results, errors and NeedMore sizes.
 *
 * header.py holds the reference walker (pure Python) and picks this one when it is built;
 * tests/resilience/test_header_native.py checks that both agree on real, damaged and random
 * headers. Every comment about *what* is checked is in header.py; this file mirrors it step
 * by step, so a change there must be made here too (the differential test fails otherwise).
 *
 * Safety: the buffer is hostile. Every read is preceded by a bound check against its length;
 * positions are 64-bit and grow by at most 2**32 + 12 per element, so they cannot wrap; the
 * loops end because every step moves forward (or returns), and the sequence loop and the
 * nesting depth have the same limits as the Python walker. */
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
#define NO_STOP ((int64_t)1 << 62)

/* what an explicit VR says about its element (header.py's _VR_KINDS); -1: not a VR */
enum { SHORT = 0, IMPLICIT = 1, LONG = 2, LONG_SQ = 3, LONG_UN = 4 };
/* the UIDs kept, in HeaderInfo's argument order after the transfer syntax */
enum { SOP_CLASS = 0, SOP_INSTANCE = 1, STUDY = 2, SERIES = 3, WANTED = 4 };

static PyObject *header_info_type = NULL;
static PyObject *header_error_type = NULL;
static PyObject *need_more_type = NULL;

typedef struct {
    const unsigned char *buf;
    int64_t n;
    int big_endian;
    int whole;
    int64_t found_at[WANTED]; /* value offset of each UID found, -1 when absent */
    int64_t found_length[WANTED];
    /* the failure, raised as a Python exception once the walk has unwound */
    const char *error_code;   /* a HeaderError code, or NULL for NeedMore */
    const char *error_detail; /* printf format with one %lld (the offset), or a plain text */
    int detail_has_offset;
    int64_t error_offset;
    int64_t need_size;
} Walker;

static inline uint32_t u16_at(const Walker *w, int64_t pos) {
    const unsigned char *p = w->buf + pos;
    return w->big_endian ? ((uint32_t)p[0] << 8 | p[1]) : ((uint32_t)p[1] << 8 | p[0]);
}

static inline uint32_t u32_at(const Walker *w, int64_t pos) {
    const unsigned char *p = w->buf + pos;
    if (w->big_endian)
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
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

static int walk(Walker *w, int64_t pos, int depth, int top, int explicit, int64_t *end_out,
                int64_t *pixel_out);

/* Where the value of the element at ``pos`` starts, and its length: a long VR's 4-byte length
 * follows 2 reserved bytes; other kinds keep the ``length`` already read */
static int value_of(Walker *w, int64_t pos, int kind, uint32_t *length, int64_t *value) {
    if (kind >= LONG) {
        if (pos + 12 > w->n) return need_more(w, pos + 12);
        *length = u32_at(w, pos + 8);
        *value = pos + 12;
    } else {
        *value = pos + 8;
    }
    return 0;
}

/* header.py's _Walker._sequence: skip an undefined-length sequence from its first item */
static int sequence(Walker *w, int64_t pos, int depth, int explicit, int64_t *end_out) {
    const int64_t n = w->n;
    for (long turn = 0; turn < MAX_ITEMS; turn++) {
        if (pos + 8 > n) return need_more(w, pos + 8);
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

/* header.py's _Walker.walk (its stop_at is always "no stop") */
static int walk(Walker *w, int64_t pos, int depth, int top, int explicit, int64_t *end_out,
                int64_t *pixel_out) {
    const int64_t n = w->n;
    const int whole = w->whole && top;
    if (depth > MAX_DEPTH) return header_error(w, "nesting_too_deep", "", 0, 0);
    /* each turn moves pos forward by 8 or more, or returns: at most n / 8 + 2 turns */
    while (pos < NO_STOP) {
        if (pos + 8 > n) {
            if (pos == n && whole) {
                *end_out = pos;
                *pixel_out = -1;
                return 0;
            }
            return need_more(w, pos + 8);
        }
        uint32_t group = u16_at(w, pos), elem = u16_at(w, pos + 2);
        uint32_t length;
        int kind;
        if (explicit) {
            length = u16_at(w, pos + 6);
            kind = group == 0xFFFE ? SHORT : vr_kind(w->buf[pos + 4], w->buf[pos + 5]);
        } else {
            length = u32_at(w, pos + 4);
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
        int64_t value;
        if (value_of(w, pos, kind, &length, &value) < 0) return -1;
        if (length == UNDEFINED) {
            if (sequence(w, value, depth + 1, explicit && kind != LONG_UN, &pos) < 0) return -1;
            continue;
        }
        int64_t end = value + length;
        if ((group == 0x0008 || group == 0x0020) && top && kind != LONG_SQ) {
            int field = wanted_index(group, elem);
            if (field >= 0) {
                if (end > n) return need_more(w, end);
                w->found_at[field] = value;
                w->found_length[field] = length;
            }
        }
        pos = end;
    }
    if (top && pos > n) return need_more(w, pos);
    *end_out = pos;
    *pixel_out = -1;
    return 0;
}

/* header.py's _meta: the file meta group, always explicit VR little endian */
static int meta(Walker *w, int64_t *end_out, int64_t *syntax_at, int64_t *syntax_length) {
    const int64_t n = w->n;
    int64_t pos = PREAMBLE + 4;
    for (int turn = 0; turn < MAX_META_ELEMENTS; turn++) {
        if (pos + 8 > n) return need_more(w, pos + 8);
        uint32_t group = u16_at(w, pos), elem = u16_at(w, pos + 2);
        uint32_t length = u16_at(w, pos + 6);
        if (group != 0x0002) {
            *end_out = pos;
            return 0;
        }
        int kind = vr_kind(w->buf[pos + 4], w->buf[pos + 5]);
        if (kind < 0) return bad_vr(w, pos);
        int64_t value;
        if (value_of(w, pos, kind, &length, &value) < 0) return -1;
        if (length == UNDEFINED)
            return header_error(w, "bad_meta", "undefined length in file meta group", 0, 0);
        int64_t end = value + length;
        if (end > n) return need_more(w, end);
        if (elem == 0x0010) {
            *syntax_at = value;
            *syntax_length = length;
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
    for (int i = 0; i < WANTED; i++) w->found_at[i] = -1;
}

/* header.py's _Walker._element, for the Pixel Data element: its end, -1 if undefined */
static int pixel_data_end(Walker *w, int64_t pos, int explicit, int64_t *end_out) {
    const int64_t n = w->n;
    if (pos + 8 > n) return need_more(w, pos + 8);
    uint32_t length;
    int64_t value;
    if (explicit) {
        int kind = vr_kind(w->buf[pos + 4], w->buf[pos + 5]);
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

static PyObject *header_info(const Walker *w, const unsigned char *syntax, int64_t syntax_length,
                             int64_t pixel, int64_t pixel_end, int walked) {
    PyObject *args[8] = {NULL};
    PyObject *result = NULL;
    args[0] = uid(syntax, syntax_length);
    if (args[0] == NULL) goto done;
    for (int i = 0; i < WANTED; i++) {
        args[1 + i] = w->found_at[i] < 0 ? PyUnicode_FromStringAndSize("", 0)
                                          : uid(w->buf + w->found_at[i], w->found_length[i]);
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

static PyObject *read_from(const unsigned char *buf, int64_t n, int whole) {
    Walker w;
    memset(&w, 0, sizeof w);
    w.buf = buf;
    w.n = n;
    w.whole = whole;
    forget_found(&w);
    if (n < PREAMBLE + 4 || memcmp(buf + PREAMBLE, "DICM", 4) != 0) {
        header_error(&w, "no_magic", "", 0, 0);
        goto failed;
    }
    int64_t pos, syntax_at = 0, syntax_length = 0;
    if (meta(&w, &pos, &syntax_at, &syntax_length) < 0) goto failed;
    const unsigned char *syntax = buf + syntax_at;
    int64_t stripped = uid_length(syntax, syntax_length);
    if (stripped == 0) {
        header_error(&w, "no_transfer_syntax", "", 0, 0);
        goto failed;
    }
    /* a UID with non-ASCII bytes decodes with U+FFFD, so it equals none of these either */
    if (same_uid(syntax, stripped, "1.2.840.10008.1.2.1.99"))
        return header_info(&w, syntax, syntax_length, -1, -1, 0);
    int explicit = !same_uid(syntax, stripped, "1.2.840.10008.1.2");
    w.big_endian = same_uid(syntax, stripped, "1.2.840.10008.1.2.2");
    int64_t end, pixel;
    if (walk(&w, pos, 0, 1, explicit, &end, &pixel) < 0) {
        /* declared explicit, written implicit: the fallback of header.py's read_header */
        if (w.error_code == NULL || strcmp(w.error_code, "bad_vr") != 0 || !explicit ||
            pos >= n - 8)
            goto failed;
        if (buf[pos + 4] >= 65 && buf[pos + 4] <= 90 && buf[pos + 5] >= 65 && buf[pos + 5] <= 90)
            goto failed;
        forget_found(&w);
        explicit = 0;
        if (walk(&w, pos, 0, 1, explicit, &end, &pixel) < 0) goto failed;
    }
    int64_t pixel_end = -1;
    if (pixel >= 0 && pixel_data_end(&w, pixel, explicit, &pixel_end) < 0) goto failed;
    return header_info(&w, syntax, syntax_length, pixel, pixel_end, 1);
failed:
    raise_failure(&w);
    return NULL;
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
    PyObject *result = read_from((const unsigned char *)view.buf, (int64_t)view.len, whole);
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
