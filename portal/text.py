"""Which characters of typed text are kept, and which ones count as something to see.

It sits outside portal.services, with nothing but the standard library, because
portal.auth needs the same judgement for passwords and email addresses and must not import
the services. Field rules (labels, lengths, messages) live in portal.services.inputs.
"""

from __future__ import annotations

import unicodedata

# Characters that reorder what is displayed: U+202E makes "fdp.exe" read "exe.pdf" on screen.
# They are all in category Cf too; naming them keeps them gone whatever that rule becomes.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# The only invisible format characters kept: emoji sequences and scripts such as Persian,
# Hindi and Malayalam need them to spell words correctly.
JOINERS = frozenset("\u200c\u200d")
# Letters and symbols that render as nothing: a name made of them looks blank.
BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800")

# Each of these ends a line somewhere (str.splitlines, Unicode, old mail systems); CR is
# folded into LF before they are looked at.
_LINE_BREAKS = frozenset("\n\v\f\x1c\x1d\x1e\x85\u2028\u2029")
_TABS = frozenset("\t\x1f")
_DROPPED_CATEGORIES = frozenset({"Cc", "Cs"})
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Mn", "Me", "Zs", "Zl", "Zp"})


def _dropped(ch: str) -> bool:
    """Controls (NUL breaks PostgreSQL and C libraries), lone surrogates (the UTF-8 encoder
    refuses them, and they only arrive through hand-made JSON), and invisible format
    characters, which let two different strings look the same."""
    if ch in BIDI_CONTROLS:
        return True
    category = unicodedata.category(ch)
    return category in _DROPPED_CATEGORIES or (category == "Cf" and ch not in JOINERS)


def clean(value: str, *, multiline: bool) -> str:
    """The text with what nobody means to type removed, NFC-composed, and its whitespace
    tidied: one line with single spaces, or lines ending in LF with the outer blanks trimmed.

    Text that would show nothing at all comes back as "", so a blank-looking value is
    treated exactly like an empty one.
    """
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    kept = []
    for ch in value:
        if ch in _LINE_BREAKS:
            kept.append("\n" if multiline else " ")
        elif ch in _TABS:
            kept.append("\t" if multiline and ch == "\t" else " ")
        elif not _dropped(ch):
            kept.append(ch)
    # Composed after removal, so "e", U+200B, U+0301 becomes one "é" like the person saw.
    result = unicodedata.normalize("NFC", "".join(kept))
    result = result.strip() if multiline else " ".join(result.split())
    return result if has_visible(result) else ""


def escaped(value: str) -> str:
    """Text kept as evidence (the audit log): each character clean() would drop is written
    out as "<U+202E>" instead, so a record keeps everything that was sent, yet can neither
    fail to be written (a lone surrogate would) nor read differently on screen."""
    return "".join(f"<U+{ord(ch):04X}>" if _dropped(ch) else ch for ch in value)


def is_invisible(ch: str) -> bool:
    """Whether a character on its own shows nothing: whitespace, format characters,
    combining marks without a base, and the filler letters used to fake a blank name."""
    return ch.isspace() or ch in BLANK_LOOKING or unicodedata.category(ch) in _INVISIBLE_CATEGORIES


def has_visible(value: str) -> bool:
    return any(not is_invisible(ch) for ch in value)


def has_surrogate(value: str) -> bool:
    """A lone surrogate cannot be encoded as UTF-8, so it can be neither stored nor hashed."""
    return any("\ud800" <= ch <= "\udfff" for ch in value)
