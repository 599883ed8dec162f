"""The fast path for large CSV billing exports: find, in bulk, the lines that cannot be records, so that Python parses
only the others.

A cloud bill is mostly lines of other services (EC2, S3, ...): the reference reader (cloud_common.Table) parses
each of them, builds a dict and hands it to the format's reader, which counts it as an ignored line. Here whole
blocks of lines are checked with polars string expressions instead, and a line is *skipped* (counted as ignored
without being parsed) only when the reference reader is certain to ignore it:
  - it names none of the reader's words (`claude`, `anthropic`: what makes a line a Claude line), in any case;
  - it is printable text (no control character, no backslash that a JSON column could unescape into a word), apart
    from a line ending of `\\r`; besides ASCII it may hold any character of valid UTF-8 (the em dashes of a Google
    Cloud SKU) except a Unicode space (str.strip() would strip it from a field's edge, polars does not), a BOM
    (decode() drops it at a line start) and U+FFFD (what invalid UTF-8, which decode() reads as Latin-1, became
    here);
  - it has a letter or digit (the reference reader drops a blank or commas-only line without counting it);
  - its fields are plain (no quote) or wholly quoted (`"Amazon Web Services, Inc."`, inner quotes doubled), and
    there are exactly as many as the header has (the reference reader rejects any other count).
For such a line Python's csv module gives exactly the header's fields, and the reader's Claude test finds no
Claude name in them. Every other line (the Claude lines, and anything irregular) goes through the reference
reader's own per-line code with its line number, so rows, rejects and accounting are the reference reader's.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # polars is imported where a bill is read: every other run starts without its 0.3 s
    import polars as pl

BLOCK_BYTES = 8 * 1024 * 1024  # bytes of lines checked at once (larger blocks were no faster and held more)
BULK_ROWS = 20_000  # candidate lines (CSV) or rows (Parquet) read in bulk at once: each bulk call costs milliseconds
LONG_LINE = 1024 * 1024  # a line this long without its end in sight: the rest of the file is read line by line

FALLBACK = object()  # bulk reading (ingest/bulk_cur.py): this line goes to the reference reader
IGNORED = object()  # bulk reading: not a record, counted as an ignored line
COLUMNAR = object()  # bulk reading: read as columns, its usage row in the batch's frame (ingest/bulk_columns.py)


def candidate_lines(block: bytes, fields: int, words: tuple[str, ...]) -> tuple[int, list[tuple[int, bytes, bool]]]:
    """How many lines `block` holds (split on b"\\n"; a final empty piece after the last newline is not a line), and
    the lines the reference reader must see (every other line is certain to be ignored by it): each as its index
    (0-based), its bytes, and whether its shape is regular (the conditions of a skipped line but for the words:
    printable text, no backslash, a letter or digit, plain or wholly quoted fields, the header's count), so that any
    CSV reader splits it into exactly the fields Python's csv module gives."""
    if not block:
        return 0, []
    import polars as pl

    frame = _lines(block)
    line = pl.col("l")
    cr = b"\r" in block
    if cr:
        line = line.str.strip_chars_end("\r")  # a line ending of CR (LF) is what decode() drops too
    # in any case: ASCII letters as bytes.lower() folds them, and more (Unicode folding: more candidates, never fewer)
    named = line.str.contains("(?i)" + "|".join(re.escape(w) for w in words))
    has_text = line.str.contains("[0-9A-Za-z]")  # not blank, not commas only
    try:  # one regular expression for the fields and their text: quicker, but a wide header can make it too large
        regular = has_text & line.str.contains(f"^{_FIELD}(?:,{_FIELD}){{{fields - 1}}}$")
        return frame.height, _picked(block, cr, frame, named, regular)
    except pl.exceptions.PolarsError:
        pass
    # Each field that is wholly quoted (at the line start or after a comma, to its closing quote) becomes one
    # marker; a quote left over is one csv reads otherwise (inside a field, unterminated); a marker followed by
    # anything but a comma had text after its closing quote.
    quoted = line.str.replace_all(r'(^|,)"(?:[^"]|"")*"', "${1}\x01")
    regular = (
        has_text
        & ~line.str.contains(f"[{_NOT_PLAIN}]")
        & ~quoted.str.contains('"', literal=True)
        & ~quoted.str.contains("\x01[^,]")
        & (quoted.str.count_matches(",", literal=True) == fields - 1)
    )
    return frame.height, _picked(block, cr, frame, named, regular)


def _lines(block: bytes) -> pl.DataFrame:
    """The block's lines (split on b"\\n", no final empty piece) as one text column `l`, bytes that are not UTF-8
    replaced by U+FFFD: polars' split when it gives one (_polars_lines), else Python's (decode, split, a str object
    per line: about twice the CPU)."""
    import polars as pl

    frame = _polars_lines(block)
    if frame is not None:
        return frame
    lines = block.decode("utf-8", errors="replace").split("\n")  # never adds or removes a newline
    if block.endswith(b"\n"):
        lines.pop()
    return pl.DataFrame({"l": pl.Series(lines, dtype=pl.String)})


def _polars_lines(block: bytes) -> pl.DataFrame | None:
    """The block's lines split by polars (one read_csv call of one column, no quoting), when it splits them as
    Python does but for the CR before a line end, which the block checks strip anyway: not with a NUL byte (then a
    line is no longer one field) nor a BOM at the block's start (polars drops it, decode() keeps it); and only when
    it gives as many lines as the block has. None: Python splits them."""
    import polars as pl

    if b"\x00" in block or block.startswith(b"\xef\xbb\xbf"):
        return None
    try:
        frame = pl.read_csv(block, has_header=False, separator="\x00", quote_char=None, comment_prefix=None,
                            infer_schema=False, encoding="utf8-lossy", eol_char="\n", new_columns=["l"],
                            raise_if_empty=False, empty_string_is_null=False, truncate_ragged_lines=False)
    except pl.exceptions.PolarsError:
        return None
    if frame.width != 1 or frame.height != block.count(b"\n") + (not block.endswith(b"\n")):
        return None
    return frame.select(pl.col("l").fill_null(""))


def _picked(block: bytes, cr: bool, frame: pl.DataFrame, named: pl.Expr,
            regular: pl.Expr) -> list[tuple[int, bytes, bool]]:
    """The lines that name a word or are irregular: (index, bytes, whether regular). Each expression is computed
    once (a filter and a select naming `regular` both would run its regular expression twice). A line's bytes are
    its text from the frame, encoded again, when that gives them back exactly: no CR in the block (`cr`: polars
    drops one before a line end) and no U+FFFD in the lines taken (what invalid UTF-8 became); else the block is
    split."""
    import polars as pl

    found = (frame.select(pl.col("l"), named.alias("n"), regular.alias("r")).with_row_index("i")
             .filter(pl.col("n") | ~pl.col("r")))
    index, text = found.get_column("i").to_list(), found.get_column("l")
    if cr or text.str.contains("\ufffd", literal=True).any():
        pieces = block.split(b"\n")
        lines = [pieces[i] for i in index]
    else:
        lines = [t.encode() for t in text.to_list()]
    return list(zip(index, lines, found.get_column("r").to_list(), strict=True))


# What a skipped line's text must not hold (the body of a character class): control characters (C0, DEL, C1), a
# backslash, Python's other whitespace (str.isspace() but for the space), a BOM, U+FFFD (invalid UTF-8 in the block).
_NOT_PLAIN = ("\\x00-\\x1f\\x7f-\\x9f\\\\\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
              "\\ufeff\\ufffd")

# A field as csv reads it unchanged: no quote and no comma, or wholly quoted with any inner quote doubled (then
# csv reads it as one field whatever it holds); either holding none of _NOT_PLAIN (checked here, in the same pass,
# rather than over the line again). A line of `fields` such fields is `fields` fields to csv too.
_FIELD = f'(?:[^",{_NOT_PLAIN}]*|"(?:[^"{_NOT_PLAIN}]|"")*")'


# ---- Parquet: the rows of a record batch that may name a word, found with Arrow compute -------------------


def parquet_candidates(batch: Any, words: tuple[str, ...], columns: list[int] | None = None) -> list[int] | None:
    """Indices of the rows of a record batch whose values may name one of `words` once read as Python values (text
    that names a word in any case, or has a backslash that a JSON column could unescape into one), looking into
    maps, lists and structs; None (every row) when a column's type is not understood or Arrow fails.
    columns: the positions of the only columns whose values the reader's test looks at (None: every column)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    pattern = "(?i)" + "|".join(re.escape(w) for w in words) + r"|\\"
    try:
        mask = None
        for column in batch.columns if columns is None else [batch.column(i) for i in columns]:
            found = _names_word(column, pattern, pa, pc)
            if found is None:
                return None
            mask = found if mask is None else pc.or_(mask, found)
        if mask is None:
            return []  # no column the test looks at: no row can be a record
        return pc.indices_nonzero(mask).to_pylist()
    except (pa.ArrowException, ValueError, TypeError):
        return None


def _names_word(array: Any, pattern: str, pa: Any, pc: Any) -> Any:
    """A boolean per row: whether the row's value may hold the pattern (None: a type not understood)."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    kind = array.type
    if pa.types.is_dictionary(kind):  # each distinct value tested once, then looked up by each row's index
        found = _names_word(array.dictionary, pattern, pa, pc)
        if found is None:
            return None
        found = pc.take(found, array.indices)
        return pc.and_kleene(pc.is_valid(found), found)  # a null index (no value) as False
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        found = pc.match_substring_regex(array, pattern)
        # null (no value) as False; not pc.fill_null(found, False): its Python scalar makes pyarrow import pandas
        return pc.and_kleene(pc.is_valid(found), found)
    if (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)
            or pa.types.is_boolean(kind) or pa.types.is_temporal(kind) or pa.types.is_null(kind)
            or pa.types.is_binary(kind) or pa.types.is_large_binary(kind)):
        return pa.array([False] * len(array), pa.bool_())  # never text: no reader finds a name in it
    if pa.types.is_struct(kind):
        mask = pa.array([False] * len(array), pa.bool_())
        for i in range(kind.num_fields):
            found = _names_word(array.field(i), pattern, pa, pc)
            if found is None:
                return None
            mask = pc.or_(mask, found)
        return mask
    if pa.types.is_map(kind) or pa.types.is_list(kind) or pa.types.is_large_list(kind):
        if pa.types.is_map(kind):  # the same layout as a list of key/value structs, which the list kernels take
            entries = pa.struct([kind.key_field, kind.item_field])
            array = array.view(pa.list_(pa.field("entries", entries, nullable=False)))
        parents = array.value_parent_indices()  # the row of each entry
        found = _names_word(array.flatten(), pattern, pa, pc)
        if found is None:
            return None
        hits = set(pc.filter(parents, found).to_pylist())
        return pa.array([i in hits for i in range(len(array))], pa.bool_())
    return None
