#!/usr/bin/python3
"""Checks that tunnelctl's output cannot act on a terminal.

    ctl_check_output.py [--json] FILE...

Each FILE must be valid UTF-8 with no control character but newline, no DEL,
no C1 control and no invisible or bidirectional format character (the same
set tunnelctl escapes). With --json, each FILE must also be one JSON
document. Prints what is wrong and exits 1.
"""
import json
import sys
import unicodedata

BAD_EXTRA = {0x061C, 0x180E, 0xFEFF} | set(range(0x200B, 0x2010)) | \
    set(range(0x2028, 0x202F)) | set(range(0x2060, 0x2070)) | set(range(0xFFF9, 0xFFFC))


def unsafe(ch):
    cp = ord(ch)
    if ch == "\n":
        return False
    return cp < 0x20 or 0x7F <= cp <= 0x9F or cp in BAD_EXTRA or \
        0xE0000 <= cp <= 0xE007F or unicodedata.category(ch) == "Cc"


def check(path, want_json):
    data = open(path, "rb").read()
    try:
        text = data.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        return "%s: not valid UTF-8 at byte %d" % (path, e.start)
    for i, ch in enumerate(text):
        if unsafe(ch):
            return "%s: raw U+%04X at character %d" % (path, ord(ch), i)
    if want_json:
        try:
            json.loads(text)
        except ValueError as e:
            return "%s: not JSON: %s" % (path, e)
    return None


def main():
    args = sys.argv[1:]
    want_json = bool(args) and args[0] == "--json"
    if want_json:
        args = args[1:]
    problems = [p for p in (check(f, want_json) for f in args) if p]
    for p in problems:
        print(p)
    sys.exit(1 if problems or not args else 0)


if __name__ == "__main__":
    main()
