/* The verification fast path's per-row work in C (decision 0032): the canonical leaf bytes of a
 * raw ``events`` row, SHA-256, and the scan loop that checks each row against its stored and
 * recorded leaf hash and folds the hashes into the chunk's perfect subtrees.
 *
 * It can only ever be *stricter* than the pure-Python path of ``ledger_scan``: whenever a row is
 * in any shape it does not expect (a float or a duplicate key in a JSON column, a non-ASCII time,
 * a lone surrogate, an integer beyond 2**53 - 1, a checkpoint announcement, ...) it stops and
 * hands that row to the Python code, which decides exactly as before. Every byte it writes is
 * the byte ``ledger_scan.leaf_bytes`` writes for the same row (property tests in
 * tests/unit/ledger/test_ledger_native.py check both against the exact RFC 8785 writer).
 *
 * SHA-256 is FIPS 180-4, with the x86 SHA extensions when the CPU has them (checked at run
 * time), else portable C; both are checked against hashlib by the tests.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#ifdef LT_SQLITE
#include <sqlite3.h>
#endif

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define LT_X86 1
#include <cpuid.h>
#include <immintrin.h>
#endif

/* ------------------------------------------------------------------------------ SHA-256 */

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static const uint32_t H256[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void compress_portable(uint32_t state[8], const uint8_t *data, size_t blocks) {
    uint32_t w[64];
    while (blocks--) {
        for (int i = 0; i < 16; i++) {
            w[i] = (uint32_t)data[4 * i] << 24 | (uint32_t)data[4 * i + 1] << 16 | (uint32_t)data[4 * i + 2] << 8 |
                   (uint32_t)data[4 * i + 3];
        }
        for (int i = 16; i < 64; i++) {
            uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
            uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
        uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
        for (int i = 0; i < 64; i++) {
            uint32_t t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i];
            uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
        }
        state[0] += a; state[1] += b; state[2] += c; state[3] += d;
        state[4] += e; state[5] += f; state[6] += g; state[7] += h;
        data += 64;
    }
}

#ifdef LT_X86
/* The SHA-NI message schedule and rounds as in Intel's "New Instructions Supporting the Secure
 * Hash Algorithm on Intel Architecture Processors" (2013): four rounds per 128-bit group. */
__attribute__((target("sha,sse4.1,ssse3")))
static void compress_shani(uint32_t state[8], const uint8_t *data, size_t blocks) {
    const __m128i mask = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i tmp = _mm_loadu_si128((const __m128i *)&state[0]);
    __m128i state1 = _mm_loadu_si128((const __m128i *)&state[4]);
    tmp = _mm_shuffle_epi32(tmp, 0xB1);             /* CDAB */
    state1 = _mm_shuffle_epi32(state1, 0x1B);       /* EFGH */
    __m128i state0 = _mm_alignr_epi8(tmp, state1, 8); /* ABEF */
    state1 = _mm_blend_epi16(state1, tmp, 0xF0);    /* CDGH */
    while (blocks--) {
        __m128i abef = state0, cdgh = state1, w[16];
        for (int i = 0; i < 16; i++) {
            if (i < 4) {
                w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16 * i)), mask);
            } else {
                __m128i t = _mm_alignr_epi8(w[i - 1], w[i - 2], 4);
                w[i] = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(w[i - 4], w[i - 3]), t), w[i - 1]);
            }
            __m128i msg = _mm_add_epi32(w[i], _mm_loadu_si128((const __m128i *)&K256[4 * i]));
            state1 = _mm_sha256rnds2_epu32(state1, state0, msg);
            state0 = _mm_sha256rnds2_epu32(state0, state1, _mm_shuffle_epi32(msg, 0x0E));
        }
        state0 = _mm_add_epi32(state0, abef);
        state1 = _mm_add_epi32(state1, cdgh);
        data += 64;
    }
    tmp = _mm_shuffle_epi32(state0, 0x1B);          /* FEBA */
    state1 = _mm_shuffle_epi32(state1, 0xB1);       /* DCHG */
    state0 = _mm_blend_epi16(tmp, state1, 0xF0);    /* DCBA */
    state1 = _mm_alignr_epi8(state1, tmp, 8);       /* HGFE */
    _mm_storeu_si128((__m128i *)&state[0], state0);
    _mm_storeu_si128((__m128i *)&state[4], state1);
}

static int cpu_has_shani(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    if (!(c & (1u << 19)) || !(c & (1u << 9))) return 0;  /* SSE4.1, SSSE3 */
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (b >> 29) & 1;                                 /* SHA */
}
#endif

typedef void (*compress_fn)(uint32_t *, const uint8_t *, size_t);
static compress_fn compress = compress_portable;

/* SHA-256 of ``data`` (``len`` bytes) into ``out`` (32 bytes). */
static void sha256(const uint8_t *data, size_t len, uint8_t out[32]) {
    uint32_t state[8];
    uint8_t tail[128];
    memcpy(state, H256, sizeof state);
    size_t full = len / 64;
    if (full) compress(state, data, full);
    size_t rest = len - full * 64;
    memcpy(tail, data + full * 64, rest);
    tail[rest] = 0x80;
    size_t tail_len = rest + 1 + 8 <= 64 ? 64 : 128;
    memset(tail + rest + 1, 0, tail_len - rest - 1 - 8);
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++) tail[tail_len - 1 - i] = (uint8_t)(bits >> (8 * i));
    compress(state, tail, tail_len / 64);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(state[i] >> 24);
        out[4 * i + 1] = (uint8_t)(state[i] >> 16);
        out[4 * i + 2] = (uint8_t)(state[i] >> 8);
        out[4 * i + 3] = (uint8_t)state[i];
    }
}

/* -------------------------------------------------------------------------- byte buffer */

typedef struct {
    char *p;
    size_t len, cap;
} Buf;

static int buf_reserve(Buf *b, size_t extra) {
    if (b->len + extra <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + extra) cap *= 2;
    char *p = PyMem_Realloc(b->p, cap);
    if (p == NULL) return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

static int buf_put(Buf *b, const char *s, size_t n) {
    if (buf_reserve(b, n) < 0) return -1;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    return 0;
}

#define PUT_LIT(b, s) buf_put((b), (s), sizeof(s) - 1)

static int buf_byte(Buf *b, char c) {
    if (buf_reserve(b, 1) < 0) return -1;
    b->p[b->len++] = c;
    return 0;
}

static const char HEX[] = "0123456789abcdef";

/* A JSON string literal as RFC 8785 (and json.encoder.encode_basestring) writes it: '"', '\\'
 * and U+0000..U+001F escaped (\b \t \n \f \r short, else \u00xx lowercase), all else literal.
 * ``s`` is valid UTF-8. */
static int put_string(Buf *b, const char *s, size_t n) {
    if (buf_reserve(b, n * 6 + 2) < 0) return -1;
    char *o = b->p + b->len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *o++ = (char)c;
            continue;
        }
        *o++ = '\\';
        switch (c) {
            case '"': *o++ = '"'; break;
            case '\\': *o++ = '\\'; break;
            case '\b': *o++ = 'b'; break;
            case '\t': *o++ = 't'; break;
            case '\n': *o++ = 'n'; break;
            case '\f': *o++ = 'f'; break;
            case '\r': *o++ = 'r'; break;
            default:
                *o++ = 'u'; *o++ = '0'; *o++ = '0'; *o++ = HEX[c >> 4]; *o++ = HEX[c & 15];
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->p);
    return 0;
}

/* -------------------------------------------------------------- JSON text -> RFC 8785 */

/* Results of the JSON writer: OK, GIVE_UP (the text is valid or not, but this code will not
 * decide: the caller takes the Python path), NOMEM (a Python error is set). */
enum { OK = 0, GIVE_UP = 1, NOMEM = -1 };

#define MAX_SAFE 9007199254740991LL
#define MAX_DEPTH 64

typedef struct {
    const char *s, *end;
    Buf keys;   /* decoded member names of the objects being written */
    int depth;
} Parser;

static void skip_ws(Parser *p) {
    while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r')) p->s++;
}

static int hex4(const char *s, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

static int put_utf8(Buf *b, unsigned cp) {
    char t[4];
    size_t n;
    if (cp < 0x80) { t[0] = (char)cp; n = 1; }
    else if (cp < 0x800) { t[0] = (char)(0xC0 | cp >> 6); t[1] = (char)(0x80 | (cp & 0x3F)); n = 2; }
    else if (cp < 0x10000) {
        t[0] = (char)(0xE0 | cp >> 12); t[1] = (char)(0x80 | (cp >> 6 & 0x3F)); t[2] = (char)(0x80 | (cp & 0x3F)); n = 3;
    } else {
        t[0] = (char)(0xF0 | cp >> 18); t[1] = (char)(0x80 | (cp >> 12 & 0x3F));
        t[2] = (char)(0x80 | (cp >> 6 & 0x3F)); t[3] = (char)(0x80 | (cp & 0x3F)); n = 4;
    }
    return buf_put(b, t, n);
}

/* Decode the JSON string at p->s (just after its opening quote) into ``out`` as UTF-8, as
 * json.loads decodes it (strict: no raw control characters); a lone surrogate gives up (its
 * RFC 8785 form does not exist, and the Python path says so). */
static int decode_string(Parser *p, Buf *out) {
    for (;;) {
        const char *start = p->s;
        while (p->s < p->end && *p->s != '"' && *p->s != '\\' && (unsigned char)*p->s >= 0x20) p->s++;
        if (buf_put(out, start, (size_t)(p->s - start)) < 0) return NOMEM;
        if (p->s >= p->end || (unsigned char)*p->s < 0x20) return GIVE_UP;
        if (*p->s == '"') {
            p->s++;
            return OK;
        }
        if (p->end - p->s < 2) return GIVE_UP;
        char e = p->s[1];
        p->s += 2;
        char c;
        switch (e) {
            case '"': c = '"'; break;
            case '\\': c = '\\'; break;
            case '/': c = '/'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case 'u': {
                unsigned cp, low;
                if (p->end - p->s < 4 || hex4(p->s, &cp) < 0) return GIVE_UP;
                p->s += 4;
                if (cp >= 0xDC00 && cp <= 0xDFFF) return GIVE_UP;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    if (p->end - p->s < 6 || p->s[0] != '\\' || p->s[1] != 'u' || hex4(p->s + 2, &low) < 0 ||
                        low < 0xDC00 || low > 0xDFFF)
                        return GIVE_UP;
                    p->s += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                }
                if (put_utf8(out, cp) < 0) return NOMEM;
                continue;
            }
            default: return GIVE_UP;
        }
        if (buf_byte(out, c) < 0) return NOMEM;
    }
}

/* Compare two UTF-8 strings by their UTF-16 code units (RFC 8785 3.2.3). UTF-8 byte order is
 * code-point order, which differs from UTF-16 order only between U+E000..U+FFFF and the
 * supplementary planes (whose surrogates sort below U+E000). */
static unsigned next_cp(const unsigned char **s) {
    const unsigned char *c = *s;
    unsigned cp;
    if (c[0] < 0x80) { cp = c[0]; *s += 1; }
    else if (c[0] < 0xE0) { cp = (c[0] & 0x1Fu) << 6 | (c[1] & 0x3Fu); *s += 2; }
    else if (c[0] < 0xF0) { cp = (c[0] & 0x0Fu) << 12 | (c[1] & 0x3Fu) << 6 | (c[2] & 0x3Fu); *s += 3; }
    else { cp = (c[0] & 0x07u) << 18 | (c[1] & 0x3Fu) << 12 | (c[2] & 0x3Fu) << 6 | (c[3] & 0x3Fu); *s += 4; }
    return cp;
}

static int utf16_cmp(const char *a, size_t an, const char *b, size_t bn) {
    const unsigned char *x = (const unsigned char *)a, *xe = x + an;
    const unsigned char *y = (const unsigned char *)b, *ye = y + bn;
    while (x < xe && y < ye) {
        if (*x == *y && *x < 0x80) { x++; y++; continue; }
        unsigned cx = next_cp(&x), cy = next_cp(&y);
        if (cx == cy) continue;
        unsigned ux = cx >= 0x10000 ? 0xD800 + ((cx - 0x10000) >> 10) : cx;
        unsigned uy = cy >= 0x10000 ? 0xD800 + ((cy - 0x10000) >> 10) : cy;
        if (ux != uy) return ux < uy ? -1 : 1;
        /* same high surrogate: compare the low ones */
        unsigned lx = cx >= 0x10000 ? 0xDC00 + ((cx - 0x10000) & 0x3FF) : 0;
        unsigned ly = cy >= 0x10000 ? 0xDC00 + ((cy - 0x10000) & 0x3FF) : 0;
        return lx < ly ? -1 : 1;
    }
    return (x < xe) - (y < ye);
}

typedef struct {
    size_t key, key_len;  /* in Parser.keys */
    size_t out, out_len;  /* the member's written text ("key":value) in the output */
} Member;

static int write_value(Parser *p, Buf *out);

static int write_object(Parser *p, Buf *out) {
    /* p->s is just after '{' */
    Member stack_members[16];
    Member *m = stack_members;
    size_t count = 0, cap = 16;
    size_t keys_mark = p->keys.len, out_mark = out->len;
    int rc = OK;
    if (buf_byte(out, '{') < 0) return NOMEM;
    skip_ws(p);
    if (p->s < p->end && *p->s == '}') {
        p->s++;
        return buf_byte(out, '}') < 0 ? NOMEM : OK;
    }
    for (;;) {
        skip_ws(p);
        if (p->s >= p->end || *p->s != '"') { rc = GIVE_UP; goto done; }
        p->s++;
        if (count == cap) {
            Member *bigger = PyMem_Malloc(sizeof(Member) * cap * 2);
            if (bigger == NULL) { PyErr_NoMemory(); rc = NOMEM; goto done; }
            memcpy(bigger, m, sizeof(Member) * count);
            if (m != stack_members) PyMem_Free(m);
            m = bigger;
            cap *= 2;
        }
        Member *cur = &m[count];
        if (count && buf_byte(out, ',') < 0) { rc = NOMEM; goto done; }
        cur->key = p->keys.len;
        if ((rc = decode_string(p, &p->keys)) != OK) goto done;
        cur->key_len = p->keys.len - cur->key;
        skip_ws(p);
        if (p->s >= p->end || *p->s != ':') { rc = GIVE_UP; goto done; }
        p->s++;
        skip_ws(p);
        cur->out = out->len;
        if (put_string(out, p->keys.p + cur->key, cur->key_len) < 0 || buf_byte(out, ':') < 0) { rc = NOMEM; goto done; }
        if ((rc = write_value(p, out)) != OK) goto done;
        cur->out_len = out->len - cur->out;
        count++;
        skip_ws(p);
        if (p->s < p->end && *p->s == ',') { p->s++; continue; }
        if (p->s < p->end && *p->s == '}') { p->s++; break; }
        rc = GIVE_UP;
        goto done;
    }
    /* insertion sort of the members by key (objects are small); equal keys: give up (json.loads
     * keeps the last, the Python path does that) */
    int sorted = 1;
    for (size_t i = 1; i < count; i++) {
        Member x = m[i];
        size_t j = i;
        while (j > 0) {
            int c = utf16_cmp(p->keys.p + m[j - 1].key, m[j - 1].key_len, p->keys.p + x.key, x.key_len);
            if (c == 0) { rc = GIVE_UP; goto done; }
            if (c < 0) break;
            m[j] = m[j - 1];
            j--;
            sorted = 0;
        }
        m[j] = x;
    }
    if (!sorted) {  /* rewrite the members in key order */
        size_t body = out->len - out_mark - 1;
        char *copy = PyMem_Malloc(body ? body : 1);
        if (copy == NULL) { PyErr_NoMemory(); rc = NOMEM; goto done; }
        memcpy(copy, out->p + out_mark + 1, body);
        out->len = out_mark + 1;
        for (size_t i = 0; i < count; i++) {
            if (i) out->p[out->len++] = ',';
            memcpy(out->p + out->len, copy + (m[i].out - out_mark - 1), m[i].out_len);
            out->len += m[i].out_len;
        }
        PyMem_Free(copy);
    }
    if (buf_byte(out, '}') < 0) rc = NOMEM;
done:
    if (m != stack_members) PyMem_Free(m);
    p->keys.len = keys_mark;
    return rc;
}

static int write_array(Parser *p, Buf *out) {
    if (buf_byte(out, '[') < 0) return NOMEM;
    skip_ws(p);
    if (p->s < p->end && *p->s == ']') {
        p->s++;
        return buf_byte(out, ']') < 0 ? NOMEM : OK;
    }
    for (int first = 1;; first = 0) {
        if (!first && buf_byte(out, ',') < 0) return NOMEM;
        skip_ws(p);
        int rc = write_value(p, out);
        if (rc != OK) return rc;
        skip_ws(p);
        if (p->s < p->end && *p->s == ',') { p->s++; continue; }
        if (p->s < p->end && *p->s == ']') { p->s++; break; }
        return GIVE_UP;
    }
    return buf_byte(out, ']') < 0 ? NOMEM : OK;
}

/* An integer written as json.loads reads it (ASCII digits, no leading zero) within ±(2**53 - 1);
 * a fraction or an exponent (a float in Python) gives up. */
static int write_number(Parser *p, Buf *out) {
    const char *s = p->s;
    int negative = 0;
    if (s < p->end && *s == '-') { negative = 1; s++; }
    const char *digits = s;
    while (s < p->end && *s >= '0' && *s <= '9') s++;
    size_t n = (size_t)(s - digits);
    if (n == 0 || n > 16 || (n > 1 && digits[0] == '0')) return GIVE_UP;
    if (s < p->end && (*s == '.' || *s == 'e' || *s == 'E')) return GIVE_UP;
    long long v = 0;
    for (size_t i = 0; i < n; i++) v = v * 10 + (digits[i] - '0');
    if (v > MAX_SAFE) return GIVE_UP;
    p->s = s;
    if (v == 0) return buf_byte(out, '0') < 0 ? NOMEM : OK;  /* "-0" is the integer 0 */
    if (negative && buf_byte(out, '-') < 0) return NOMEM;
    return buf_put(out, digits, n) < 0 ? NOMEM : OK;
}

static int write_value(Parser *p, Buf *out) {
    if (p->s >= p->end) return GIVE_UP;
    char c = *p->s;
    int rc;
    switch (c) {
        case '{':
        case '[':
            if (++p->depth > MAX_DEPTH) return GIVE_UP;
            p->s++;
            rc = c == '{' ? write_object(p, out) : write_array(p, out);
            p->depth--;
            return rc;
        case '"': {
            p->s++;
            size_t mark = p->keys.len;
            rc = decode_string(p, &p->keys);
            if (rc == OK && put_string(out, p->keys.p + mark, p->keys.len - mark) < 0) rc = NOMEM;
            p->keys.len = mark;
            return rc;
        }
        case 't':
            if (p->end - p->s >= 4 && memcmp(p->s, "true", 4) == 0) { p->s += 4; return PUT_LIT(out, "true") < 0 ? NOMEM : OK; }
            return GIVE_UP;
        case 'f':
            if (p->end - p->s >= 5 && memcmp(p->s, "false", 5) == 0) { p->s += 5; return PUT_LIT(out, "false") < 0 ? NOMEM : OK; }
            return GIVE_UP;
        case 'n':
            if (p->end - p->s >= 4 && memcmp(p->s, "null", 4) == 0) { p->s += 4; return PUT_LIT(out, "null") < 0 ? NOMEM : OK; }
            return GIVE_UP;
        default:
            if (c == '-' || (c >= '0' && c <= '9')) return write_number(p, out);
            return GIVE_UP;  /* NaN, Infinity and anything else */
    }
}

/* The RFC 8785 form of the JSON text ``s`` (valid UTF-8) appended to ``out``. */
static int write_json_text(const char *s, size_t n, Buf *out, Buf *scratch) {
    Parser p = {s, s + n, *scratch, 0};
    p.keys.len = 0;
    size_t mark = out->len;
    skip_ws(&p);
    int rc = write_value(&p, out);
    if (rc == OK) {
        skip_ws(&p);
        if (p.s != p.end) rc = GIVE_UP;
    }
    *scratch = p.keys;  /* keep the (possibly grown) allocation */
    if (rc != OK) out->len = mark;
    return rc;
}

/* --------------------------------------------------------------------------- the leaf */

/* One column value as the leaf writer reads it: from a Python object of a raw row (the scan of
 * rows fetched by the sqlite3 module) or straight from SQLite (``scan_file``). TEXT is valid
 * UTF-8 (``s``, ``n`` bytes); OTHER is any shape the writer never takes. */
enum { COL_NULL, COL_INT, COL_TEXT, COL_OTHER };

typedef struct {
    int kind;
    const char *s;
    size_t n;
} Col;

static int is_ascii(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80) return 0;
    return 1;
}

/* A column of a Python row: None, an exact str with valid UTF-8 (no lone surrogate), or OTHER. */
static Col col_of(PyObject *o) {
    Col c = {COL_OTHER, NULL, 0};
    if (o == Py_None) {
        c.kind = COL_NULL;
    } else if (PyUnicode_CheckExact(o)) {
        Py_ssize_t n;
        const char *s = PyUnicode_AsUTF8AndSize(o, &n);
        if (s == NULL) {
            PyErr_Clear();
        } else {
            c.kind = COL_TEXT;
            c.s = s;
            c.n = (size_t)n;
        }
    }
    return c;
}

/* TEXT of ``len`` ASCII characters. */
static const char *ascii_col(const Col *c, size_t len) {
    if (c->kind != COL_TEXT || c->n != len || !is_ascii(c->s, len)) return NULL;
    return c->s;
}

static int put_uuid(Buf *b, const char *h) {
    if (buf_reserve(b, 38) < 0) return -1;
    char *o = b->p + b->len;
    *o++ = '"';
    for (int i = 0; i < 32; i++) {
        if (i == 8 || i == 12 || i == 16 || i == 20) *o++ = '-';
        *o++ = h[i];
    }
    *o++ = '"';
    b->len += 38;
    return 0;
}

static int put_json_column(Buf *b, Buf *scratch, const Col *c) {
    if (c->kind == COL_NULL) return PUT_LIT(b, "null") < 0 ? NOMEM : OK;
    if (c->kind != COL_TEXT) return GIVE_UP;
    return write_json_text(c->s, c->n, b, scratch);
}

static int put_text_column(Buf *b, const Col *c) {
    if (c->kind != COL_TEXT) return GIVE_UP;
    return put_string(b, c->s, c->n) < 0 ? NOMEM : OK;
}

#define TRY(expr) do { int rc_ = (expr); if (rc_ != OK) return rc_; } while (0)
#define TRY_PUT(expr) do { if ((expr) < 0) return NOMEM; } while (0)

/* The canonical leaf bytes of a raw row (columns 0..11 as ledger_scan._EVENTS selects them; the
 * integer ``seq`` already taken from column 0 by the caller), appended to ``b``; exactly the
 * bytes of ledger_scan.leaf_bytes(row), or GIVE_UP. */
static int write_leaf(Buf *b, Buf *scratch, const Col *c, long long seq) {
    const char *id = ascii_col(&c[1], 32), *at = ascii_col(&c[2], 26);
    if (id == NULL || at == NULL || at[10] != ' ') return GIVE_UP;
    if (seq < 0 || seq > MAX_SAFE) return GIVE_UP;
    TRY_PUT(PUT_LIT(b, "{\"action\":"));
    TRY(put_text_column(b, &c[5]));
    TRY_PUT(PUT_LIT(b, ",\"actor\":{\"id\":"));
    if (c[3].kind == COL_NULL) {
        TRY_PUT(PUT_LIT(b, "null"));
    } else {
        const char *actor = ascii_col(&c[3], 32);
        if (actor == NULL) return GIVE_UP;
        TRY_PUT(put_uuid(b, actor));
    }
    TRY_PUT(PUT_LIT(b, ",\"name\":"));
    TRY(put_text_column(b, &c[4]));
    TRY_PUT(PUT_LIT(b, "},\"after\":"));
    TRY(put_json_column(b, scratch, &c[10]));
    TRY_PUT(PUT_LIT(b, ",\"before\":"));
    TRY(put_json_column(b, scratch, &c[9]));
    TRY_PUT(PUT_LIT(b, ",\"id\":"));
    TRY_PUT(put_uuid(b, id));
    TRY_PUT(PUT_LIT(b, ",\"request_id\":"));
    if (c[11].kind == COL_NULL) {
        TRY_PUT(PUT_LIT(b, "null"));
    } else {
        TRY(put_text_column(b, &c[11]));
    }
    char num[32];
    int k = snprintf(num, sizeof num, ",\"seq\":%lld", seq);
    TRY_PUT(buf_put(b, num, (size_t)k));
    TRY_PUT(PUT_LIT(b, ",\"subject\":{\"id\":"));
    TRY(put_text_column(b, &c[7]));
    TRY_PUT(PUT_LIT(b, ",\"name\":"));
    TRY(put_text_column(b, &c[8]));
    TRY_PUT(PUT_LIT(b, ",\"type\":"));
    TRY(put_text_column(b, &c[6]));
    TRY_PUT(PUT_LIT(b, "},\"time\":\""));
    TRY_PUT(buf_put(b, at, 10));
    TRY_PUT(buf_byte(b, 'T'));
    TRY_PUT(buf_put(b, at + 11, 15));
    TRY_PUT(PUT_LIT(b, "Z\",\"v\":1}"));
    return OK;
}

/* write_leaf of a Python row (a tuple of at least 12 items). */
static int write_row_leaf(Buf *b, Buf *scratch, PyObject *row, long long seq) {
    PyObject **items = PySequence_Fast_ITEMS(row);
    Col c[12];
    c[0].kind = COL_INT;
    for (int i = 1; i < 12; i++) c[i] = col_of(items[i]);
    return write_leaf(b, scratch, c, seq);
}

/* row[0] as a C integer; 0 when it is not an exact int that fits. */
static int row_seq(PyObject *row, long long *seq) {
    PyObject *o = PySequence_Fast_ITEMS(row)[0];
    if (!PyLong_CheckExact(o)) return 0;
    int overflow = 0;
    *seq = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow || (*seq == -1 && PyErr_Occurred())) {
        PyErr_Clear();
        return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------- Python functions */

static PyObject *py_sha256(PyObject *self, PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) return NULL;
    uint8_t out[32];
    sha256(view.buf, (size_t)view.len, out);
    PyBuffer_Release(&view);
    return PyBytes_FromStringAndSize((const char *)out, 32);
}

static PyObject *py_json_canonical(PyObject *self, PyObject *arg) {
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "json_canonical needs a str");
        return NULL;
    }
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(arg, &n);
    if (s == NULL) {
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    Buf out = {0}, scratch = {0};
    int rc = write_json_text(s, (size_t)n, &out, &scratch);
    PyObject *result = NULL;
    if (rc == OK) result = PyBytes_FromStringAndSize(out.p ? out.p : "", (Py_ssize_t)out.len);
    else if (rc == GIVE_UP) result = Py_NewRef(Py_None);
    else if (!PyErr_Occurred()) PyErr_NoMemory();
    PyMem_Free(out.p);
    PyMem_Free(scratch.p);
    return result;
}

static int is_row(PyObject *row) {
    return PyTuple_CheckExact(row) && PyTuple_GET_SIZE(row) >= 12;
}

static PyObject *py_leaf_bytes(PyObject *self, PyObject *row) {
    long long seq;
    if (!is_row(row) || !row_seq(row, &seq)) Py_RETURN_NONE;
    Buf out = {0}, scratch = {0};
    int rc = write_row_leaf(&out, &scratch, row, seq);
    PyObject *result = NULL;
    if (rc == OK) result = PyBytes_FromStringAndSize(out.p, (Py_ssize_t)out.len);
    else if (rc == GIVE_UP) result = Py_NewRef(Py_None);
    else if (!PyErr_Occurred()) PyErr_NoMemory();
    PyMem_Free(out.p);
    PyMem_Free(scratch.p);
    return result;
}

/* scan(rows, nodes, pos, index, start, stack, stop, action) -> new pos
 *
 * For rows[pos:] (raw ``events`` rows) and nodes[pos:] (``(idx, hash)`` of level 0) in step,
 * while ``index`` < ``stop``: check that the row and the node are both leaf ``index``, that the
 * row's re-derived leaf hash equals its stored hash (row[12]) and the recorded one, and fold it
 * into ``stack`` (a list: the compact range of leaves [start, index)). Returns the position of
 * the first row it did not take: the end, ``stop`` reached, or a row it leaves to the Python
 * code (any mismatch or unusual shape, and every row whose action is ``action``). */
static PyObject *py_scan(PyObject *self, PyObject *args) {
    PyObject *rows, *nodes, *stack, *action;
    Py_ssize_t pos;
    long long index, start, stop;
    if (!PyArg_ParseTuple(args, "O!O!nLLO!LU", &PyList_Type, &rows, &PyList_Type, &nodes, &pos, &index, &start,
                          &PyList_Type, &stack, &stop, &action))
        return NULL;
    Py_ssize_t action_len;
    const char *action_s = PyUnicode_AsUTF8AndSize(action, &action_len);
    if (action_s == NULL) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(rows) < PyList_GET_SIZE(nodes) ? PyList_GET_SIZE(rows) : PyList_GET_SIZE(nodes);
    Buf leaf = {0}, scratch = {0};
    uint8_t node[65];
    int failed = 0;
    node[0] = 0x01;
    for (; pos < n && index < stop; pos++, index++) {
        PyObject *row = PyList_GET_ITEM(rows, pos), *rec = PyList_GET_ITEM(nodes, pos);
        long long seq;
        if (!is_row(row) || PyTuple_GET_SIZE(row) < 13 || !row_seq(row, &seq) || seq != index) break;
        if (!PyTuple_CheckExact(rec) || PyTuple_GET_SIZE(rec) != 2) break;
        PyObject *idx = PyTuple_GET_ITEM(rec, 0), *recorded = PyTuple_GET_ITEM(rec, 1);
        if (!PyLong_CheckExact(idx) || PyLong_AsLongLong(idx) != index) {
            PyErr_Clear();
            break;
        }
        PyObject *stored = PyTuple_GET_ITEM(row, 12), *act = PyTuple_GET_ITEM(row, 5);
        if (!PyBytes_CheckExact(stored) || PyBytes_GET_SIZE(stored) != 32 || !PyBytes_CheckExact(recorded) ||
            PyBytes_GET_SIZE(recorded) != 32)
            break;
        if (PyUnicode_CheckExact(act) && PyUnicode_GET_LENGTH(act) == action_len && PyUnicode_IS_ASCII(act) &&
            memcmp(PyUnicode_DATA(act), action_s, (size_t)action_len) == 0)
            break;
        leaf.len = 0;
        if (buf_byte(&leaf, 0x00) < 0) { failed = 1; break; }
        int rc = write_row_leaf(&leaf, &scratch, row, seq);
        if (rc == NOMEM) { failed = 1; break; }
        if (rc != OK) break;
        uint8_t current[32];
        sha256((const uint8_t *)leaf.p, leaf.len, current);
        if (memcmp(current, PyBytes_AS_STRING(stored), 32) != 0 || memcmp(current, PyBytes_AS_STRING(recorded), 32) != 0)
            break;
        /* fold: node(left, current) while the bit is set */
        unsigned long long bits = (unsigned long long)(index - start);
        PyObject *value;
        if (bits & 1) {
            while (bits & 1) {
                Py_ssize_t top = PyList_GET_SIZE(stack);
                if (top == 0) { PyErr_SetString(PyExc_ValueError, "compact range stack is short"); failed = 1; break; }
                PyObject *left = PyList_GET_ITEM(stack, top - 1);
                if (!PyBytes_CheckExact(left) || PyBytes_GET_SIZE(left) != 32) {
                    PyErr_SetString(PyExc_ValueError, "compact range holds a non-hash");
                    failed = 1;
                    break;
                }
                memcpy(node + 1, PyBytes_AS_STRING(left), 32);
                memcpy(node + 33, current, 32);
                if (PyList_SetSlice(stack, top - 1, top, NULL) < 0) { failed = 1; break; }
                sha256(node, 65, current);
                bits >>= 1;
            }
            if (failed) break;
        }
        value = PyBytes_FromStringAndSize((const char *)current, 32);
        if (value == NULL || PyList_Append(stack, value) < 0) {
            Py_XDECREF(value);
            failed = 1;
            break;
        }
        Py_DECREF(value);
    }
    PyMem_Free(leaf.p);
    PyMem_Free(scratch.p);
    if (failed) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        return NULL;
    }
    return PyLong_FromSsize_t(pos);
}

#ifdef LT_SQLITE
/* ------------------------------------------------------- the chunk scan through SQLite's C API */

/* Strict UTF-8 as Python's decoder (and so the sqlite3 module) accepts it: no overlong form, no
 * encoded surrogate, nothing beyond U+10FFFF. */
static int utf8_valid(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        if (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (!(w & 0x8080808080808080ULL)) { i += 8; continue; }
        }
        unsigned c = s[i];
        if (c < 0x80) { i++; continue; }
        if (c >= 0xC2 && c <= 0xDF) {
            if (n - i < 2 || (s[i + 1] & 0xC0) != 0x80) return 0;
            i += 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            if (n - i < 3 || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80) return 0;
            if ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] >= 0xA0)) return 0;
            i += 3;
        } else if (c >= 0xF0 && c <= 0xF4) {
            if (n - i < 4 || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80 || (s[i + 3] & 0xC0) != 0x80)
                return 0;
            if ((c == 0xF0 && s[i + 1] < 0x90) || (c == 0xF4 && s[i + 1] >= 0x90)) return 0;
            i += 4;
        } else {
            return 0;
        }
    }
    return 1;
}

/* Column ``i`` of the current row of ``st``: its storage class and, for TEXT and BLOB, its bytes.
 * Returns 0 when a TEXT value is not valid UTF-8 (the sqlite3 module would raise on the fetch:
 * the whole chunk goes to the Python path, which then decides as it always has). */
typedef struct {
    int type;
    const char *s;
    size_t n;
    long long i;
} Cell;

static int cell_of(sqlite3_stmt *st, int i, Cell *c) {
    c->type = sqlite3_column_type(st, i);
    c->s = NULL;
    c->n = 0;
    c->i = 0;
    if (c->type == SQLITE_INTEGER) {
        c->i = sqlite3_column_int64(st, i);
    } else if (c->type == SQLITE_TEXT) {
        /* the stored bytes as they are (a UTF-8 database, checked by the caller): unlike
         * sqlite3_column_text, no copy to add a terminating NUL */
        c->s = (const char *)sqlite3_column_blob(st, i);
        c->n = (size_t)sqlite3_column_bytes(st, i);
        if (c->s == NULL) c->s = "";
        if (!utf8_valid((const unsigned char *)c->s, c->n)) return 0;
    } else if (c->type == SQLITE_BLOB) {
        c->s = (const char *)sqlite3_column_blob(st, i);
        c->n = (size_t)sqlite3_column_bytes(st, i);
        if (c->s == NULL) c->s = "";
    }
    return 1;
}

/* The Python object the sqlite3 module would give for a cell (no type detection). */
static PyObject *cell_object(sqlite3_stmt *st, int i, const Cell *c) {
    switch (c->type) {
        case SQLITE_INTEGER: return PyLong_FromLongLong(c->i);
        case SQLITE_FLOAT: return PyFloat_FromDouble(sqlite3_column_double(st, i));
        case SQLITE_TEXT: return PyUnicode_DecodeUTF8(c->s, (Py_ssize_t)c->n, NULL);
        case SQLITE_BLOB: return PyBytes_FromStringAndSize(c->s, (Py_ssize_t)c->n);
        default: return Py_NewRef(Py_None);
    }
}

/* A 32-byte BLOB equal to ``h``: what ``digest == value`` is in Python for any other shape: false. */
static int same_hash(const Cell *c, const uint8_t h[32]) {
    return c->type == SQLITE_BLOB && c->n == 32 && memcmp(c->s, h, 32) == 0;
}

static PyObject *hash_list(uint8_t (*hashes)[32], int count) {
    PyObject *list = PyList_New(count);
    if (list == NULL) return NULL;
    for (int i = 0; i < count; i++) {
        PyObject *h = PyBytes_FromStringAndSize((const char *)hashes[i], 32);
        if (h == NULL) { Py_DECREF(list); return NULL; }
        PyList_SET_ITEM(list, i, h);
    }
    return list;
}

enum { SCAN_CLEAN, SCAN_STOPPED, SCAN_UNDECIDED, SCAN_ERROR };

typedef struct {
    sqlite3 *db;
    sqlite3_stmt *head, *encoding, *events, *nodes;
    long long *stops;
    Buf leaf, scratch;
    PyObject *stacks, *announced;
    uint8_t stack[64][32];  /* the compact range of [start, index) */
    int top;
} FileScan;

static int prepare(FileScan *f, const char *sql, sqlite3_stmt **st, const long long *params, Py_ssize_t nparams) {
    if (sqlite3_prepare_v2(f->db, sql, -1, st, NULL) != SQLITE_OK) return 0;
    if (sqlite3_bind_parameter_count(*st) != nparams) return 0;
    for (Py_ssize_t i = 0; i < nparams; i++)
        if (sqlite3_bind_int64(*st, (int)i + 1, params[i]) != SQLITE_OK) return 0;
    return 1;
}

/* The loop of scan_file: SCAN_CLEAN (both queries ended together, every row as recorded),
 * SCAN_STOPPED (leaf *index is not as recorded: the Python path stops at the same leaf),
 * SCAN_UNDECIDED (something the Python path would treat otherwise: let it scan the chunk),
 * SCAN_ERROR (a Python exception is set). */
static int file_scan_loop(FileScan *f, long long start, long long *index, Py_ssize_t nstops, const char *action,
                          size_t action_len, PyObject *fallback) {
    uint8_t (*stack)[32] = f->stack, node[65], current[32];
    int top = 0;
    Py_ssize_t next_stop = 0;
    Cell row[13], rec[2];
    node[0] = 0x01;
    for (;; (*index)++) {
        int re = sqlite3_step(f->events), rn = sqlite3_step(f->nodes);
        if ((re != SQLITE_ROW && re != SQLITE_DONE) || (rn != SQLITE_ROW && rn != SQLITE_DONE)) return SCAN_UNDECIDED;
        if (re == SQLITE_DONE && rn == SQLITE_DONE) break;
        if (re != rn) return SCAN_STOPPED;  /* more rows than recorded leaf hashes, or the other way */
        if (sqlite3_column_count(f->events) != 13 || sqlite3_column_count(f->nodes) != 2) return SCAN_UNDECIDED;
        for (int i = 0; i < 13; i++)
            if (!cell_of(f->events, i, &row[i])) return SCAN_UNDECIDED;
        for (int i = 0; i < 2; i++)
            if (!cell_of(f->nodes, i, &rec[i])) return SCAN_UNDECIDED;
        /* ``row[0] != index or node[0] != index``: a REAL may equal an int in Python: undecided */
        if (row[0].type == SQLITE_FLOAT || rec[0].type == SQLITE_FLOAT) return SCAN_UNDECIDED;
        if (row[0].type != SQLITE_INTEGER || row[0].i != *index || rec[0].type != SQLITE_INTEGER || rec[0].i != *index)
            return SCAN_STOPPED;
        Col c[12];
        c[0].kind = COL_INT;
        for (int i = 1; i < 12; i++) {
            c[i].kind = row[i].type == SQLITE_NULL ? COL_NULL : row[i].type == SQLITE_TEXT ? COL_TEXT : COL_OTHER;
            c[i].s = row[i].s;
            c[i].n = row[i].n;
        }
        f->leaf.len = 0;
        if (buf_byte(&f->leaf, 0x00) < 0) return SCAN_ERROR;
        int rc = write_leaf(&f->leaf, &f->scratch, c, *index);
        if (rc == NOMEM) return SCAN_ERROR;
        if (rc == GIVE_UP) {  /* an unusual shape: ledger_scan.leaf_bytes decides, as for a fetched row */
            PyObject *tuple = PyTuple_New(13);
            if (tuple == NULL) return SCAN_ERROR;
            for (int i = 0; i < 13; i++) {
                PyObject *o = cell_object(f->events, i, &row[i]);
                if (o == NULL) { Py_DECREF(tuple); return SCAN_ERROR; }
                PyTuple_SET_ITEM(tuple, i, o);
            }
            f->leaf.len = 1;  /* drop what the writer wrote before it declined */
            PyObject *data = PyObject_CallOneArg(fallback, tuple);
            Py_DECREF(tuple);
            if (data == NULL) return SCAN_ERROR;
            if (data == Py_None) { Py_DECREF(data); return SCAN_STOPPED; }
            if (!PyBytes_Check(data)) { Py_DECREF(data); return SCAN_UNDECIDED; }
            rc = buf_put(&f->leaf, PyBytes_AS_STRING(data), (size_t)PyBytes_GET_SIZE(data));
            Py_DECREF(data);
            if (rc < 0) return SCAN_ERROR;
        }
        sha256((const uint8_t *)f->leaf.p, f->leaf.len, current);
        if (!same_hash(&row[12], current) || !same_hash(&rec[1], current)) return SCAN_STOPPED;
        if (row[5].type == SQLITE_TEXT && row[5].n == action_len && memcmp(row[5].s, action, action_len) == 0) {
            /* a checkpoint announcement: its ``after`` text, parsed by the caller as take() does */
            if (row[10].type != SQLITE_TEXT && row[10].type != SQLITE_NULL) return SCAN_UNDECIDED;
            PyObject *after = cell_object(f->events, 10, &row[10]);
            PyObject *item = after == NULL ? NULL : Py_BuildValue("(LN)", *index, after);
            if (item == NULL || PyList_Append(f->announced, item) < 0) { Py_XDECREF(item); return SCAN_ERROR; }
            Py_DECREF(item);
        }
        unsigned long long bits = (unsigned long long)(*index - start);
        while (bits & 1) {
            memcpy(node + 1, stack[--top], 32);
            memcpy(node + 33, current, 32);
            sha256(node, 65, current);
            bits >>= 1;
        }
        memcpy(stack[top++], current, 32);
        while (next_stop < nstops && f->stops[next_stop] == *index + 1) {
            PyObject *hashes = hash_list(stack, top);
            PyObject *item = hashes == NULL ? NULL : Py_BuildValue("(LN)", *index + 1, hashes);
            if (item == NULL || PyList_Append(f->stacks, item) < 0) { Py_XDECREF(item); return SCAN_ERROR; }
            Py_DECREF(item);
            next_stop++;
        }
        f->top = top;
        if (top == 64) return SCAN_UNDECIDED;  /* 2**64 leaves: never */
    }
    return SCAN_CLEAN;
}

/* scan_file(path, head, events_sql, nodes_sql, params, start, stops, action, leaf_bytes)
 *     -> (index, clean, subtrees, stacks, announcements) | None
 *
 * The whole chunk scan of ledger_scan.scan_chunk, reading the rows itself: open ``path``
 * read-only, begin a read transaction, check that the log size in ``ledger_head`` is ``head``
 * (the parent's snapshot), run the two queries (``params`` bound to both) in step and check,
 * hash and fold every row as ``scan`` does, leaves [start, index). ``stops``: the checkpoint
 * sizes (sorted, each > start) whose compact ranges to report. Announcements come back as
 * ``(index, after text or None)``. Rows the leaf writer declines go through ``leaf_bytes``
 * (a Python function of the raw row) exactly as the Python path does. None: anything it will
 * not decide (the file cannot be opened, another snapshot, an SQL error, text that is not
 * UTF-8, a REAL index): the caller scans the chunk through the sqlite3 module instead. */
static PyObject *py_scan_file(PyObject *self, PyObject *args) {
    const char *path, *events_sql, *nodes_sql;
    long long head, start;
    PyObject *params, *stops, *action, *fallback;
    if (!PyArg_ParseTuple(args, "sLssO!LO!UO", &path, &head, &events_sql, &nodes_sql, &PyTuple_Type, &params, &start,
                          &PyList_Type, &stops, &action, &fallback))
        return NULL;
    Py_ssize_t action_len, nparams = PyTuple_GET_SIZE(params), nstops = PyList_GET_SIZE(stops);
    const char *action_s = PyUnicode_AsUTF8AndSize(action, &action_len);
    if (action_s == NULL) return NULL;
    long long bound[2];
    if (nparams > 2) {
        PyErr_SetString(PyExc_ValueError, "at most two bounds");
        return NULL;
    }
    for (Py_ssize_t i = 0; i < nparams; i++) {
        bound[i] = PyLong_AsLongLong(PyTuple_GET_ITEM(params, i));
        if (bound[i] == -1 && PyErr_Occurred()) return NULL;
    }
    FileScan f = {0};
    PyObject *result = NULL;
    f.stops = PyMem_Malloc(sizeof(long long) * (size_t)(nstops ? nstops : 1));
    f.stacks = PyList_New(0);
    f.announced = PyList_New(0);
    if (f.stops == NULL || f.stacks == NULL || f.announced == NULL) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < nstops; i++) {
        f.stops[i] = PyLong_AsLongLong(PyList_GET_ITEM(stops, i));
        if (f.stops[i] == -1 && PyErr_Occurred()) goto done;
    }
    int outcome = SCAN_UNDECIDED;
    long long index = start;
    /* NOMUTEX: only this thread uses the connection (no lock around every column access) */
    if (sqlite3_open_v2(path, &f.db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) goto decided;
    sqlite3_busy_timeout(f.db, 5000);  /* as the sqlite3 module's default timeout */
    if (sqlite3_exec(f.db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) goto decided;
    /* the parent's snapshot, or nothing: the same check as ledger_scan._worker_task */
    if (!prepare(&f, "SELECT size FROM ledger_head WHERE id = 1", &f.head, NULL, 0)) goto decided;
    if (sqlite3_step(f.head) != SQLITE_ROW || sqlite3_column_type(f.head, 0) != SQLITE_INTEGER ||
        sqlite3_column_int64(f.head, 0) != head)
        goto decided;
    /* TEXT is read as stored (cell_of): only a UTF-8 database stores it as UTF-8 */
    if (!prepare(&f, "PRAGMA encoding", &f.encoding, NULL, 0) || sqlite3_step(f.encoding) != SQLITE_ROW ||
        sqlite3_column_type(f.encoding, 0) != SQLITE_TEXT ||
        strcmp((const char *)sqlite3_column_text(f.encoding, 0), "UTF-8") != 0)
        goto decided;
    if (!prepare(&f, events_sql, &f.events, bound, nparams) || !prepare(&f, nodes_sql, &f.nodes, bound, nparams))
        goto decided;
    outcome = file_scan_loop(&f, start, &index, nstops, action_s, (size_t)action_len, fallback);
decided:
    if (outcome == SCAN_ERROR) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
    } else if (outcome == SCAN_UNDECIDED) {
        result = Py_NewRef(Py_None);
    } else if (outcome == SCAN_STOPPED) {
        result = Py_BuildValue("(LO[][][])", index, Py_False);  /* not clean: nothing else */
    } else {
        PyObject *subtrees = hash_list(f.stack, f.top);
        if (subtrees != NULL) result = Py_BuildValue("(LONOO)", index, Py_True, subtrees, f.stacks, f.announced);
    }
done:
    sqlite3_finalize(f.head);
    sqlite3_finalize(f.encoding);
    sqlite3_finalize(f.events);
    sqlite3_finalize(f.nodes);
    if (f.db != NULL) sqlite3_close(f.db);  /* ends the read transaction */
    PyMem_Free(f.stops);
    PyMem_Free(f.leaf.p);
    PyMem_Free(f.scratch.p);
    Py_XDECREF(f.stacks);
    Py_XDECREF(f.announced);
    return result;
}
#endif

static PyObject *py_has_sha_extensions(PyObject *self, PyObject *unused) {
    return PyBool_FromLong(compress != compress_portable);
}

static PyObject *py_use_portable_sha(PyObject *self, PyObject *arg) {
    int portable = PyObject_IsTrue(arg);
    if (portable < 0) return NULL;
#ifdef LT_X86
    compress = portable || !cpu_has_shani() ? compress_portable : compress_shani;
#else
    compress = compress_portable;
#endif
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"sha256", py_sha256, METH_O, "SHA-256 digest of a bytes-like object."},
    {"json_canonical", py_json_canonical, METH_O,
     "RFC 8785 bytes of a JSON text, or None where the Python path must decide."},
    {"leaf_bytes", py_leaf_bytes, METH_O, "Canonical leaf bytes of a raw events row, or None."},
    {"scan", py_scan, METH_VARARGS, "Check and fold rows in step with their recorded leaf hashes."},
#ifdef LT_SQLITE
    {"scan_file", py_scan_file, METH_VARARGS, "Scan a chunk of an SQLite file through the SQLite C API, or None."},
#endif
    {"has_sha_extensions", py_has_sha_extensions, METH_NOARGS, "True when SHA-256 uses the CPU's SHA extensions."},
    {"use_portable_sha", py_use_portable_sha, METH_O, "Tests: force (True) or release (False) portable SHA-256."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_ledger_native", "Native per-row work of the ledger verification fast path.", -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__ledger_native(void) {
#ifdef LT_X86
    if (cpu_has_shani()) compress = compress_shani;
#endif
    return PyModule_Create(&module);
}
