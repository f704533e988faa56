"""Read extract files into batches of text columns, with line numbers and structural rejects.

Every file becomes a stream of :class:`RawBatch` es: a Polars frame whose columns are the file's
(normalised) headers, all ``Utf8``, plus ``__line``, the physical line of each record (header = line 1;
for Parquet, row number + 1), and for CSV ``__ctl``, whether the record holds a control character.
Records that cannot be split into the header's columns never reach the frame: they come back as
:class:`StructuralReject` s so that ``read = accepted + rejected`` holds.

What fails a whole file (:class:`FileFailed`): empty file, binary content or a workbook renamed
``.csv``, invalid encoding, a truncated gzip or one with trailing garbage, an unreadable Parquet file.
The reading is streamed in chunks, so memory stays bounded whatever the file's size.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

LINE_COLUMN = "__line"
#: Boolean column of CSV batches: does the record's text hold a control character anywhere? A hint for
#: the validation, which then checks the record's columns one by one only where it is true.
CONTROL_HINT = "__ctl"
#: Characters no text value may hold (rule ``control_characters``): C0 controls but tab, line feed and
#: carriage return; DEL; bidirectional overrides and isolates.
CONTROL_CHARS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]"
#: Bytes read (and decoded) at a time; a quote-free chunk is split into columns by Polars in one go.
#: Larger chunks (4-16 MiB) measured no faster, and raise the address-space peak (test F20).
CHUNK_BYTES = 1 << 20
#: Records per batch. Narrow files reach it; wide ones stop at ``BATCH_CHARS`` first, which is what
#: bounds a batch's memory (500,000 rows of 4 columns measured ~8% faster than 200,000).
DEFAULT_BATCH_ROWS = 500_000
#: A batch also ends once it holds this many characters of records, so wide rows keep memory bounded.
BATCH_CHARS = 32 << 20
#: A record longer than this (characters) is rejected ``line_too_long``.
MAX_LINE_CHARS = 1 << 20
#: Fewer lines than this between quoted multi-line records are split one by one, not as a block.
MIN_BLOCK_LINES = 32
#: A quoted field may span at most this many physical lines before it is judged never closed.
MAX_EMBEDDED_LINES = 50
DELIMITERS = (",", "\t", ";", "|")


class FileFailed(Exception):
    """The whole file cannot be read; the message names what is wrong and what to do."""


@dataclass(frozen=True)
class StructuralReject:
    """A record that could not be split into the header's columns."""

    line: int
    rule: str
    message: str
    fields: dict[str, str] | None = None  # values by header name, when the record could be split


@dataclass
class RawBatch:
    """A batch of records as text, with their line numbers, and the structural rejects among them."""

    frame: pl.DataFrame
    rejects: list[StructuralReject] = field(default_factory=list)


@dataclass
class OpenedFile:
    """A readable extract: its format, normalised header and a batch iterator."""

    path: Path
    format: str  # csv | csv.gz | parquet
    header: list[str]
    batches: Iterator[RawBatch]


def normalise_header(name: str) -> str:
    """Trim, drop a BOM and surrounding quotes, lower-case, and turn inner spaces into underscores."""
    name = name.replace("\ufeff", "").strip().strip('"').strip()
    return "_".join(name.lower().split())


def _sniff_kind(path: Path, encoding: str | None = None) -> str:
    with path.open("rb") as fh:
        head = fh.read(8192)
    if not head:
        raise FileFailed("empty file (0 bytes): the export produced nothing; export it again")
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"\x1f\x8b"):
        return "csv.gz"
    if head.startswith(b"PK\x03\x04"):
        raise FileFailed(
            "not a CSV: this is a ZIP archive or an Excel workbook; save it as CSV (UTF-8) or Parquet"
        )
    if head.startswith((b"\x89PNG", b"%PDF", b"\xd0\xcf\x11\xe0", b"GIF8", b"\xff\xd8\xff")):
        raise FileFailed(
            "not a CSV: binary content (an image, PDF or old Excel file); export the data as CSV"
        )
    if path.suffix.lower() == ".parquet":
        raise FileFailed("not a Parquet file (no PAR1 magic); export it again or rename it to .csv")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or encoding:
        return "csv"  # a declared encoding (UTF-16 has NUL bytes) is checked when the text is decoded
    if _binary_share(head) > 0.05:
        if _looks_utf16(head):
            raise FileFailed(
                "UTF-16 text without a byte-order mark: re-export it as UTF-8, or declare its encoding in "
                "the mapping file (encoding: utf-16-le)"
            )
        raise FileFailed("not a CSV: binary content (NUL or control bytes); export the data as CSV (UTF-8)")
    return "csv"


def _looks_utf16(head: bytes) -> bool:
    """NUL in (nearly) every other byte and almost nowhere else: ASCII text encoded as UTF-16."""
    even, odd = head[0::2], head[1::2]
    a, b = even.count(0) / max(len(even), 1), odd.count(0) / max(len(odd), 1)
    return max(a, b) > 0.3 and min(a, b) < 0.02


def _binary_share(head: bytes) -> float:
    """Share of control bytes other than tab/CR/LF: high in binary files, ~0 in text with a stray NUL.

    A text file with a few NUL or control characters in a value is still read; its rows are rejected
    ``control_characters`` by the validation rather than the whole file failed.
    """
    controls = sum(head.count(bytes([b])) for b in (*range(9), 11, 12, *range(14, 32), 127))
    return controls / len(head)


def open_extract(
    path: Path, *, encoding: str | None = None, batch_rows: int = DEFAULT_BATCH_ROWS
) -> OpenedFile:
    """Open an extract file, read its header and return a lazy batch iterator.

    Args:
        path: CSV, CSV.GZ or Parquet file (the content decides, not only the suffix).
        encoding: declared text encoding (mapping file ``encoding:``); default strict UTF-8 with BOM
            detection (UTF-8 and UTF-16 BOMs).
        batch_rows: records per batch.

    Raises:
        FileFailed: the file cannot be read at all.
    """
    kind = _sniff_kind(path, encoding)
    if kind == "parquet":
        return _open_parquet(path, batch_rows)
    text_chunks = _text_chunks(path, gz=kind == "csv.gz", encoding=encoding)
    splitter = _RecordSplitter(text_chunks)
    header_record = splitter.next_header()
    if header_record is None:
        raise FileFailed("empty file: no header line; export it again with its header row")
    delimiter = _sniff_delimiter(header_record)
    header = [normalise_header(h) for h in _split_quoted(header_record, delimiter)]
    return OpenedFile(path, kind, header, _csv_batches(splitter, header, delimiter, batch_rows))


# ---------------------------------------------------------------- text decoding


def _byte_chunks(path: Path, gz: bool) -> Iterator[bytes]:
    if not gz:
        with path.open("rb") as fh:
            while chunk := fh.read(CHUNK_BYTES):
                yield chunk
        return
    try:
        with gzip.open(path, "rb") as fh:  # reads every member of a multi-member gzip
            while chunk := fh.read(CHUNK_BYTES):
                yield chunk
    except EOFError as exc:
        raise FileFailed(
            "truncated gzip: the file ends before its compressed stream does; copy or export it again"
        ) from exc
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise FileFailed(
            "corrupt gzip (bad data or trailing garbage after the compressed stream); compress it again"
        ) from exc


def _text_chunks(path: Path, *, gz: bool, encoding: str | None) -> Iterator[str]:
    chunks = _byte_chunks(path, gz)
    first = next(chunks, b"")
    if not first:
        raise FileFailed("empty file: no content after decompression" if gz else "empty file (0 bytes)")
    if encoding:
        codec = encoding
    elif first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        codec = "utf-16"
    else:
        codec = "utf-8-sig"
    try:
        decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    except LookupError as exc:
        raise FileFailed(f"unknown encoding {encoding!r} declared in the mapping file") from exc
    lines_before = 0
    for chunk in _chain(first, chunks):
        try:
            text = decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            line = lines_before + chunk[: exc.start].count(b"\n") + 1
            bad = chunk[exc.start : exc.start + 1].hex()
            raise FileFailed(
                f"invalid encoding at line {line} (byte 0x{bad} is not {_codec_name(codec)}); "
                "re-export the file as UTF-8, or declare its encoding in the mapping file (encoding: cp1252)"
            ) from exc
        lines_before += text.count("\n")
        if text:
            yield text
    try:
        tail = decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise FileFailed(f"invalid encoding at line {lines_before + 1}: the file ends mid-character") from exc
    if tail:
        yield tail


def _codec_name(codec: str) -> str:
    return "UTF-8" if codec == "utf-8-sig" else codec.upper()


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


# ---------------------------------------------------------------- record splitting


@dataclass
class _Block:
    """A run of consecutive physical lines that need no joining: none has an odd number of quotes.

    ``text`` is either the lines joined by line feeds exactly as read (a quote-free stretch of a chunk,
    carriage returns included) or a list of lines already split and stripped of carriage returns.
    """

    first_line: int
    text: str | list[str]
    #: physical lines in ``text`` when it is a string (known when the block is cut), else 0
    line_count: int = 0


class _RecordSplitter:
    """Turns text chunks into (first_line, record_text) pairs, quote-aware, with recovery.

    A record is one physical line unless it holds an odd number of double quotes, in which case the
    following lines are joined until the quotes balance. If they have not balanced after
    ``MAX_EMBEDDED_LINES`` lines (or at end of file) the first line is reported as an unbalanced quote
    and the lines after it are read again as records of their own, so one stray quote never swallows
    the rest of the file.

    With ``fast_path`` set (by the reader, once the header is read), runs of lines that need no joining
    come out whole as :class:`_Block` s for the reader to split column-wise in Polars: a chunk without
    any quote is handed over as one string, and inside a chunk with quotes every run of lines with an
    even number of quotes is handed over as a list.
    """

    def __init__(self, chunks: Iterator[str]) -> None:
        self._chunks = chunks
        self._lines: deque[tuple[int, str]] = deque()
        self._partial = ""
        self._next_line_no = 1
        self._eof = False
        self._block: _Block | None = None
        #: complete lines read but not yet queued (the rest of the chunk that held the header)
        self._unsplit: str | None = None
        self.fast_path = False  # set by the reader once the header is read
        #: set by the reader: does a record joined over several lines split into the header's fields?
        self.fits: Callable[[str], bool] | None = None

    def _read(self) -> str | None:
        """The next run of complete lines (joined by line feeds), or None at end of file.

        At end of file a last line without a line end is queued as a line of its own.
        """
        while not self._eof:
            chunk = next(self._chunks, None)
            if chunk is None:
                self._eof = True
                if self._partial:
                    self._push(self._partial)
                    self._partial = ""
                return None
            text = self._partial + chunk
            cut = text.rfind("\n")
            if cut < 0:  # inside a line; keep no more of a giant one than it takes to reject it
                self._partial = text if len(text) <= MAX_LINE_CHARS else text[: MAX_LINE_CHARS + 1]
                continue
            complete, self._partial = text[:cut], text[cut + 1 :]
            return complete
        return None

    def _fill(self) -> bool:
        while not self._lines and self._block is None:
            if self._unsplit is not None:
                complete, self._unsplit = self._unsplit, None
            else:
                complete = self._read()
                if complete is None:
                    return bool(self._lines)
            self._queue(complete)
        return True

    def _queue(self, complete: str) -> None:
        """Queue complete lines: as one block when they hold no quote (fast path), else line by line."""
        if self.fast_path and '"' not in complete:
            count = complete.count("\n") + 1
            self._block = _Block(self._next_line_no, complete, count)
            self._next_line_no += count
            return
        parts = complete.split("\n")
        if self.fast_path:
            # The lines before the first one with an odd number of quotes need no joining: one block.
            run = _even_prefix(parts)
            if run >= MIN_BLOCK_LINES:
                head = parts[:run]
                if "\r" in complete:
                    head = [t[:-1] if t.endswith("\r") else t for t in head]
                self._block = _Block(self._next_line_no, head)
                self._next_line_no += run
                parts = parts[run:]
        for part in parts:
            self._push(part)

    def _push(self, text: str) -> None:
        if text.endswith("\r"):
            text = text[:-1]
        self._lines.append((self._next_line_no, text))
        self._next_line_no += 1

    def _open_block(self) -> None:
        """Turn the pending block back into single lines, ahead of the queued ones (which follow it)."""
        assert self._block is not None
        block, self._block = self._block, None
        if isinstance(block.text, str):
            lines = [t[:-1] if t.endswith("\r") else t for t in block.text.split("\n")]
        else:
            lines = block.text  # already split and stripped
        self._lines.extendleft(reversed([(block.first_line + i, t) for i, t in enumerate(lines)]))

    def _next_line(self) -> tuple[int, str] | None:
        """The next physical line (opening a pending block line by line), or None at end of file."""
        if not self._fill():
            return None
        if self._block is not None:
            self._open_block()
        return self._lines.popleft()

    def _even_run(self) -> _Block | None:
        """Take the queued lines up to the first with an odd number of quotes, as one block.

        None when there are fewer than ``MIN_BLOCK_LINES`` of them before such a line: a few records
        between quoted multi-line ones are cheaper one by one than as a block.
        """
        lines = self._lines
        run: list[str] = []
        for _, text in lines:
            if '"' in text and text.count('"') % 2:
                break
            run.append(text)
        if len(run) < MIN_BLOCK_LINES:
            return None
        first = lines[0][0]
        for _ in range(len(run)):
            lines.popleft()
        return _Block(first, run)

    def next_header(self) -> str | None:
        """Return the first non-blank line (the header); the rest of its chunk is queued later."""
        while True:
            if self._lines:
                _, text = self._lines.popleft()
            else:
                if self._unsplit is None:
                    self._unsplit = self._read()
                    if self._unsplit is None:
                        if not self._lines:
                            return None
                        continue
                text, sep, rest = self._unsplit.partition("\n")
                self._unsplit = rest if sep else None
                self._next_line_no += 1
                if text.endswith("\r"):
                    text = text[:-1]
            if text.strip():
                return text

    def items(self) -> Iterator[tuple[int, str | _Block, str | None]]:
        """Yield records as (line, text, error_rule), or runs of lines as (first_line, block, None).

        ``error_rule`` is set for records that cannot be split (``line_too_long``, ``unbalanced_quote``).
        """
        while self._fill():
            if self._block is not None:  # a block always comes before the queued lines
                if not self.fast_path:
                    self._open_block()
                    continue
                block, self._block = self._block, None
                yield block.first_line, block, None
                continue
            if self.fast_path and (run := self._even_run()) is not None:
                yield run.first_line, run, None
                continue
            line_no, text = self._lines.popleft()
            if not text.strip():
                continue
            if len(text) > MAX_LINE_CHARS:
                yield line_no, "", "line_too_long"
                continue
            if text.count('"') % 2 == 0:
                yield line_no, text, None
                continue
            joined = [text]
            taken: list[tuple[int, str]] = []
            balanced = False
            size = len(text)
            while len(taken) < MAX_EMBEDDED_LINES and size <= MAX_LINE_CHARS:
                nxt = self._next_line()
                if nxt is None:
                    break
                taken.append(nxt)
                joined.append(nxt[1])
                size += len(nxt[1]) + 1
                if sum(part.count('"') for part in joined) % 2 == 0:
                    balanced = True
                    break
            record = "\n".join(joined)
            if balanced and (self.fits is None or self.fits(record)):
                yield line_no, record, None
            else:
                self._lines.extendleft(reversed(taken))
                yield line_no, "", "unbalanced_quote"


def _even_prefix(lines: list[str]) -> int:
    """How many lines at the start have an even number of quotes (up to the first odd one)."""
    for i, line in enumerate(lines):
        if '"' in line and line.count('"') % 2:
            return i
    return len(lines)


def _sniff_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _split_quoted(record: str, delimiter: str) -> list[str]:
    if '"' not in record:
        return record.split(delimiter)
    return next(csv.reader([record], delimiter=delimiter, strict=False))


def _field_count(record: str, delimiter: str) -> int:
    """Fields of a record spanning lines; -1 when a line break sits outside quotes (not one record)."""
    try:
        return len(_split_quoted(record, delimiter))
    except csv.Error:
        return -1


_RULE_MESSAGES = {
    "line_too_long": f"the record is longer than the maximum line size ({MAX_LINE_CHARS} characters)",
    "unbalanced_quote": "a quoted field is never closed; the record was skipped and the lines after it read",
}


def _csv_batches(
    splitter: _RecordSplitter, header: list[str], delimiter: str, batch_rows: int
) -> Iterator[RawBatch]:
    ncols = len(header)
    frames: list[pl.DataFrame] = []
    quoted_rows: list[list[str]] = []
    quoted_nos: list[int] = []
    rejects: list[StructuralReject] = []
    pending = pending_chars = 0

    def flush() -> RawBatch:
        parts = list(frames)
        if quoted_rows:
            parts.append(_rows_frame(quoted_rows, quoted_nos, header))
        if parts:
            frame = pl.concat(parts, rechunk=False) if len(parts) > 1 else parts[0]
            if quoted_rows:
                frame = frame.sort(LINE_COLUMN)
        else:
            frame = pl.DataFrame(
                schema={**dict.fromkeys(header, pl.Utf8), LINE_COLUMN: pl.Int64, CONTROL_HINT: pl.Boolean}
            )
        batch = RawBatch(frame, list(rejects))
        frames.clear()
        quoted_rows.clear()
        quoted_nos.clear()
        rejects.clear()
        return batch

    splitter.fast_path = True
    # Two stray quotes a few lines apart balance each other: such a "record" does not split into the
    # header's fields, and its first line is reported as the unbalanced quote instead.
    splitter.fits = lambda record: _field_count(record, delimiter) == ncols
    for line_no, record, error in splitter.items():
        plain_frame = _plain_block_frame(record, header, delimiter) if isinstance(record, _Block) else None
        if plain_frame is not None:
            # A plain block parsed by Polars' CSV reader, cut where a batch fills up (rows or characters,
            # the latter at the block's average line length).
            per_row = (len(record.text) + 1) / plain_frame.height
            start = 0
            while start < plain_frame.height:
                room = batch_rows - pending
                fit = int(max(BATCH_CHARS - pending_chars, 1) / per_row) + 1
                take = max(1, min(room, fit, plain_frame.height - start))
                frames.append(plain_frame.slice(start, take))
                pending += take
                pending_chars += int(take * per_row)
                start += take
                if pending >= batch_rows or pending_chars >= BATCH_CHARS:
                    pending = pending_chars = 0
                    yield flush()
            continue
        if isinstance(record, _Block):
            # A run of lines split column-wise in Polars, cut where a batch fills up (rows or characters).
            lines = _block_lines(record)
            # A quote-free chunk has no quotes, and no long line if it is not long itself.
            plain = isinstance(record.text, str)
            may_be_long = not plain or len(record.text) > MAX_LINE_CHARS
            sizes = lines.get_column("__text").str.len_bytes().cum_sum()
            start = 0
            while start < lines.height:
                room = batch_rows - pending
                used = int(sizes[start - 1]) if start else 0
                fit = sizes.search_sorted(used + max(BATCH_CHARS - pending_chars, 1), side="right")
                take = max(1, min(room, int(fit) - start, lines.height - start))
                good, bad = _split_lines(
                    lines.slice(start, take), header, delimiter, quoted=not plain, long=may_be_long
                )
                frames.append(good)
                rejects.extend(bad)
                pending += take
                pending_chars += int(sizes[start + take - 1]) - used + take
                start += take
                if pending >= batch_rows or pending_chars >= BATCH_CHARS:
                    pending = pending_chars = 0
                    yield flush()
            continue
        pending += 1
        pending_chars += len(record)
        if error is not None:
            rejects.append(StructuralReject(line_no, error, _RULE_MESSAGES[error]))
        else:
            fields = _split_quoted(record, delimiter)
            if len(fields) == ncols:
                quoted_rows.append(fields)
                quoted_nos.append(line_no)
            else:
                rejects.append(_count_reject(line_no, fields, header))
        if pending >= batch_rows or pending_chars >= BATCH_CHARS:
            pending = pending_chars = 0
            yield flush()
    yield flush()


#: Bytes of the control characters of ``CONTROL_CHARS`` below U+0080 (the others are not ASCII).
_CONTROL_BYTES = bytes([*range(9), 11, 12, *range(14, 32), 127])
#: Leading bytes of the UTF-8 forms of the bidirectional controls in ``CONTROL_CHARS`` (U+202A-U+202E,
#: U+2066-U+2069), and the BOM, which Polars' reader drops at the start of its input.
_SUSPECT_UTF8 = (b"\xe2\x80", b"\xe2\x81", b"\xef\xbb\xbf")


def _plain_block_frame(block: _Block, header: list[str], delimiter: str) -> pl.DataFrame | None:
    """A quote-free block parsed by Polars' CSV reader, when that gives what line-by-line splitting gives.

    That is when every line holds exactly the header's number of fields (no blank, short or long
    record), no line is longer than ``MAX_LINE_CHARS``, no character is a control character (so
    ``__ctl`` is false everywhere) and carriage returns only end lines. Otherwise None: the block is
    split line by line (:func:`_split_lines`), which also finds the structural rejects.
    """
    text = block.text
    ncols = len(header)
    if not isinstance(text, str) or not block.line_count or ncols < 2:
        return None
    lines = block.line_count
    if text.count(delimiter) != (ncols - 1) * lines:
        return None
    data = text.encode("utf-8") + b"\n"
    if len(data.translate(None, _CONTROL_BYTES)) != len(data):
        return None
    if not data.isascii() and any(s in data for s in _SUSPECT_UTF8):
        return None
    if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
        return None
    try:
        frame = pl.read_csv(
            data,
            has_header=False,
            separator=delimiter,
            quote_char=None,
            infer_schema=False,
            new_columns=header,
            empty_string_is_null=False,
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError:  # e.g. more fields than the header on some line
        return None
    if frame.height != lines or frame.width != ncols:
        return None
    if len(text) > MAX_LINE_CHARS:
        longest = frame.select(pl.sum_horizontal([pl.col(c).str.len_chars() for c in header]).max()).item()
        if longest + ncols - 1 > MAX_LINE_CHARS:
            return None
    return frame.with_columns(
        pl.int_range(block.first_line, block.first_line + lines, dtype=pl.Int64).alias(LINE_COLUMN),
        pl.lit(False).alias(CONTROL_HINT),
    )


def _rows_frame(rows: list[list[str]], line_nos: list[int], header: list[str]) -> pl.DataFrame:
    """Records already split into fields (quoted ones, by the csv module) as a frame."""
    cols = list(zip(*rows, strict=True))
    frame = pl.DataFrame(
        {name: pl.Series(name, col, dtype=pl.Utf8) for name, col in zip(header, cols, strict=True)}
    )
    return frame.with_columns(
        pl.Series(LINE_COLUMN, line_nos, dtype=pl.Int64),
        pl.any_horizontal([pl.col(c).str.contains(CONTROL_CHARS) for c in header]).alias(CONTROL_HINT),
    )


def _block_lines(block: _Block) -> pl.DataFrame:
    """The non-blank lines of a block with their line numbers (``__text``, ``__line``)."""
    if isinstance(block.text, str):
        # Split in Python: Polars' str.split + explode of one large string reserves many times its size.
        text = pl.Series("__text", block.text.split("\n"), dtype=pl.Utf8)
        if "\r" in block.text:
            text = text.str.strip_suffix("\r")
    else:
        text = pl.Series("__text", block.text, dtype=pl.Utf8)
    lines = text.to_frame().with_columns(
        pl.int_range(block.first_line, block.first_line + len(text), dtype=pl.Int64).alias(LINE_COLUMN)
    )
    blank = lines.get_column("__text").str.strip_chars() == ""
    return lines.filter(~blank) if blank.any() else lines


def _split_lines(
    lines: pl.DataFrame, header: list[str], delimiter: str, *, quoted: bool = True, long: bool = True
) -> tuple[pl.DataFrame, list[StructuralReject]]:
    """Split lines into columns, vectorised; wrong field counts and long lines are rejects.

    Lines holding quotes (an even number of them) are split as the csv module splits a record read on
    its own: vectorised when every field is quoted and no field holds a quote (``"a","b,c",""``, what
    "quote all" exports write), else one by one by the csv module. ``quoted=False`` / ``long=False``:
    the caller knows that no line holds a quote / is longer than ``MAX_LINE_CHARS``.
    """
    ncols = len(header)
    text = pl.col("__text")
    sep = f'"{delimiter}"'
    lines = lines.with_columns(
        (text.str.len_chars() > MAX_LINE_CHARS if long else pl.lit(False)).alias("__long"),
        (text.str.contains('"', literal=True) if quoted else pl.lit(False)).alias("__quoted"),
        text.str.contains(CONTROL_CHARS).alias(CONTROL_HINT),  # one scan of the line, not one per field
    )
    if quoted:
        # Every field quoted, no other quote: 2 quotes per field, n - 1 separators '","'.
        lines = lines.with_columns(
            (
                pl.col("__quoted")
                & text.str.starts_with('"')
                & text.str.ends_with('"')
                & (text.str.count_matches('"', literal=True) == 2 * ncols)
                & (text.str.count_matches(sep, literal=True) == ncols - 1)
            ).alias("__all_quoted")
        )
    else:
        lines = lines.with_columns(pl.lit(False).alias("__all_quoted"))

    def split(frame: pl.DataFrame, source: pl.Expr, by: str) -> pl.DataFrame:
        return frame.select(
            source.str.splitn(by, ncols + 1).struct.rename_fields([*header, "__extra"]).alias("__s"),
            pl.col(LINE_COLUMN),
            pl.col(CONTROL_HINT),
            pl.col("__long"),
            pl.col("__quoted"),
        ).unnest("__s")

    fast_quoted = lines.filter(pl.col("__all_quoted") & ~pl.col("__long"))
    plain = lines.filter(~pl.col("__quoted")) if quoted else lines
    parts = [split(plain, text, delimiter)]
    if fast_quoted.height:
        parts.append(split(fast_quoted, text.str.slice(1, text.str.len_chars() - 2), sep))
    fields = pl.concat(parts) if len(parts) > 1 else parts[0]
    ok_mask = fields.select(
        pl.col(header[-1]).is_not_null() & pl.col("__extra").is_null() & ~pl.col("__long")
    ).to_series()
    good = fields.filter(ok_mask) if not ok_mask.all() else fields
    good = good.select(*header, LINE_COLUMN, CONTROL_HINT)
    # The rest, one by one: long lines, wrong field counts, quoted lines of another shape.
    others = pl.concat(
        [
            plain.filter(~ok_mask.head(plain.height)),
            lines.filter(pl.col("__quoted") & ~(pl.col("__all_quoted") & ~pl.col("__long"))),
        ]
    )
    if fast_quoted.height:
        # a fully quoted line fails only if long, which it is not here; keep the mask aligned anyway
        assert ok_mask.tail(fast_quoted.height).all()
    if not others.height:
        return (good.sort(LINE_COLUMN) if fast_quoted.height and plain.height else good), []
    bad: list[StructuralReject] = []
    quoted_rows: list[list[str]] = []
    quoted_nos: list[int] = []
    rows = others.select(LINE_COLUMN, "__text", "__long", "__quoted").iter_rows()
    for line_no, record, is_long, is_quoted in rows:
        if is_long:
            bad.append(StructuralReject(line_no, "line_too_long", _RULE_MESSAGES["line_too_long"]))
            continue
        values = _split_quoted(record, delimiter) if is_quoted else record.split(delimiter)
        if is_quoted and len(values) == ncols:
            quoted_rows.append(values)
            quoted_nos.append(line_no)
        else:
            bad.append(_count_reject(line_no, values, header))
    if quoted_rows:
        good = pl.concat([good, _rows_frame(quoted_rows, quoted_nos, header)])
    if quoted_rows or (fast_quoted.height and plain.height):
        good = good.sort(LINE_COLUMN)
    return good, sorted(bad, key=lambda r: r.line)


def _count_reject(line_no: int, fields: list[str], header: list[str]) -> StructuralReject:
    values = dict(zip(header, fields, strict=False))
    if len(fields) < len(header):
        return StructuralReject(
            line_no,
            "missing_columns",
            f"the record has {len(fields)} fields but the header has {len(header)} (truncated row?)",
            values,
        )
    return StructuralReject(
        line_no,
        "extra_fields",
        f"the record has {len(fields)} fields but the header has {len(header)} (unquoted delimiter?)",
        values,
    )


# ---------------------------------------------------------------- parquet


def _open_parquet(path: Path, batch_rows: int) -> OpenedFile:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
        header = [normalise_header(n) for n in pf.schema_arrow.names]
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise FileFailed(
            "not a readable Parquet file (corrupted or truncated footer); export it again"
        ) from exc

    def batches() -> Iterator[RawBatch]:
        offset = 0
        try:
            for record_batch in pf.iter_batches(batch_size=batch_rows):
                frame = pl.from_arrow(record_batch)
                assert isinstance(frame, pl.DataFrame)
                frame = frame.rename(dict(zip(frame.columns, header, strict=True)))
                frame = frame.with_columns(
                    [pl.col(c).cast(pl.Utf8) for c in frame.columns],
                ).with_columns(
                    pl.int_range(offset + 1, offset + 1 + frame.height, dtype=pl.Int64).alias(LINE_COLUMN)
                )
                offset += frame.height
                yield RawBatch(frame)
        except FileFailed:
            raise
        except Exception as exc:
            raise FileFailed(f"the Parquet file is damaged after row {offset}; export it again") from exc

    return OpenedFile(path, "parquet", header, batches())
