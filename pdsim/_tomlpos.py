"""Where each value of a TOML text sits: a map from key paths such as ("arms", 1, "doses", 0, "dose")
to the 1-based line that assigns it, so that errors point at the offending arm's line, not the first match.

Best effort by design: tomllib parses the file (and rejects bad syntax) before this runs; this scanner
only has to find lines in text that is already valid TOML.
"""
from __future__ import annotations

__all__ = ["key_lines", "line_for"]

Path_ = tuple  # a key path: str keys and int indices of arrays


def _split_key(text: str) -> list[str]:
    """A dotted TOML key (bare or quoted parts) as its parts."""
    parts, buf, i, n = [], "", 0, len(text)
    while i < n:
        c = text[i]
        if c in "\"'":
            j = text.find(c, i + 1)
            j = n if j < 0 else j
            buf += text[i + 1:j]
            i = j + 1
            continue
        if c == ".":
            parts.append(buf.strip())
            buf = ""
        else:
            buf += c
        i += 1
    parts.append(buf.strip())
    return [p for p in parts]


def _key_end(text: str, i: int) -> int:
    """Index of the '=' that ends the key starting at ``i`` (quotes respected), or -1."""
    n = len(text)
    while i < n:
        c = text[i]
        if c in "\"'":
            j = text.find(c, i + 1)
            if j < 0:
                return -1
            i = j + 1
            continue
        if c == "=":
            return i
        if c in "\n{}[],#":
            return -1
        i += 1
    return -1


def key_lines(text: str) -> dict[Path_, int]:
    """Map every key path in ``text`` (tables, arrays of tables, inline tables and arrays) to its line."""
    out: dict[Path_, int] = {}
    counts: dict[Path_, int] = {}
    aot: set[Path_] = set()  # paths that are arrays of tables (without index)
    current: Path_ = ()
    i, n, line = 0, len(text), 1

    def resolve(parts: list[str]) -> Path_:
        p: Path_ = ()
        for part in parts:
            p = p + (part,)
            if p in aot:
                p = p + (counts[p] - 1,)
        return p

    def skip_string(i: int) -> int:
        nonlocal line
        q = text[i]
        triple = text.startswith(q * 3, i)
        end = text.find(q * 3 if triple else q, i + (3 if triple else 1))
        while end > 0 and q == '"' and not triple and text[end - 1] == "\\" and text[end - 2] != "\\":
            end = text.find(q, end + 1)
        end = n if end < 0 else end + (3 if triple else 1)
        line += text.count("\n", i, end)
        return end

    def value(i: int, path: Path_) -> int:
        """Scan one value starting at ``i``; record keys of inline tables and array items."""
        nonlocal line
        while i < n and text[i] in " \t":
            i += 1
        if i >= n:
            return i
        c = text[i]
        if c in "\"'":
            return skip_string(i)
        if c == "[":
            i += 1
            k = 0
            while i < n:
                c = text[i]
                if c == "\n":
                    line += 1
                    i += 1
                elif c in " \t\r,":
                    if c == ",":
                        k += 1
                    i += 1
                elif c == "#":
                    while i < n and text[i] != "\n":
                        i += 1
                elif c == "]":
                    return i + 1
                else:
                    out.setdefault(path + (k,), line)
                    i = value(i, path + (k,))
            return i
        if c == "{":
            i += 1
            while i < n:
                c = text[i]
                if c in " \t,":
                    i += 1
                elif c == "\n":
                    line += 1
                    i += 1
                elif c == "}":
                    return i + 1
                else:
                    eq = _key_end(text, i)
                    if eq < 0:
                        return i + 1
                    kp = path + tuple(_split_key(text[i:eq]))
                    out.setdefault(kp, line)
                    i = value(eq + 1, kp)
            return i
        while i < n and text[i] not in ",]}\n#":
            i += 1
        return i

    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
        elif c in " \t\r":
            i += 1
        elif c == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif c == "[":
            double = text.startswith("[[", i)
            j = text.find("]]" if double else "]", i)
            if j < 0:
                break
            parts = _split_key(text[i + (2 if double else 1):j])
            if double:
                base = resolve(parts[:-1]) + (parts[-1],)
                aot.add(base)
                counts[base] = counts.get(base, 0) + 1
                for key in [k for k in counts if len(k) > len(base) and k[:len(base)] == base]:
                    del counts[key]  # a new [[arms]] restarts the count of its [[arms.doses]]
                    aot.discard(key)
                current = base + (counts[base] - 1,)
            else:
                current = resolve(parts)
            out.setdefault(current, line)
            i = j + (2 if double else 1)
        else:
            eq = _key_end(text, i)
            if eq < 0:
                while i < n and text[i] != "\n":
                    i += 1
                continue
            kp = current + tuple(_split_key(text[i:eq]))
            out.setdefault(kp, line)
            i = value(eq + 1, kp)
    return out


def line_for(lines: dict[Path_, int], path: Path_) -> int | None:
    """The line of ``path``, or of its longest recorded prefix (an inline value's parent key)."""
    p = tuple(path)
    while p:
        if p in lines:
            return lines[p]
        p = p[:-1]
    return None
