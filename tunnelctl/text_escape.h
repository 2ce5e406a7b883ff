/*
 * text_escape: strings that came from the control socket, made safe for a
 * terminal. Printable UTF-8 passes; everything else is shown, never obeyed:
 * C0 controls, DEL and bytes that are not valid UTF-8 as \xNN (ESC is
 * \x1b, BEL \x07, a stray 0xff \xff), C1 controls and invisible or
 * bidirectional format characters as \uNNNN (U+202E is \u202e), and the
 * backslash itself as \\ so that the escapes cannot be forged.
 *
 * Threading: pure functions over the given stream; any thread.
 */
#ifndef TUNNELCTL_TEXT_ESCAPE_H
#define TUNNELCTL_TEXT_ESCAPE_H

#include <stdio.h>

/* writes s escaped; returns the columns written (one per code point) */
size_t text_put(FILE *out, const char *s);
/* the columns text_put would write for s (nothing written) */
size_t text_width(const char *s);
/* text_put, then spaces up to width columns */
void text_field(FILE *out, const char *s, size_t width);

#endif
