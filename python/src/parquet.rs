//! Parquet files read by the engine itself (issue 11, ADR 18). When the tables of a call are
//! parquet files of the documented schema (`docs/records.md`) in the layouts pyarrow, pandas,
//! DuckDB and Spark write by default — flat columns, plain or dictionary-coded pages (v1 or
//! v2), uncompressed, snappy or lz4 — they become the same column buffers `tijdreg.arrow`
//! builds from pyarrow's tables, without pyarrow and without the GIL. Anything else (another
//! codec or encoding, a nested, repeated or missing column, a null where a value is required,
//! text dates, a time of day with a fraction of a second, text that is not UTF-8 value by
//! value, more values than the file declares rows…) is [`Unsupported`]: the Python side then
//! reads the files with pyarrow as before, so every answer and every error stays what it was.
//! No rule lives here.

use bytes::Bytes;
use parquet::basic::{ConvertedType, Encoding, LogicalType, TimeUnit, Type as Physical};
use parquet::column::page::Page;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::schema::types::ColumnDescriptor;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyTuple};
use tijdreg::Error;

use crate::columns::{self, Extra, Typed};

/// A file or column this reader leaves to pyarrow: not an error of the data (pyarrow reads
/// it, and the engine's checks name what is wrong, as before).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Unsupported;

impl From<parquet::errors::ParquetError> for Unsupported {
    fn from(_: parquet::errors::ParquetError) -> Self {
        Unsupported
    }
}

pub(crate) type Got<T> = Result<T, Unsupported>;

/// A text column: a table of values (Arrow's int32 offsets and UTF-8 bytes, each value
/// checked by [`File::texts`]) and, per row, the index of its value. Dictionary-coded pages give one value per
/// dictionary entry (each row group's dictionary appended); plain pages one per row.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Texts {
    pub offsets: Vec<i32>,
    pub data: Vec<u8>,
    pub codes: Vec<u32>,
}

impl Texts {
    fn value(&self, k: usize) -> &[u8] {
        match (self.offsets.get(k), self.offsets.get(k + 1)) {
            (Some(&a), Some(&b)) => self.data.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// Every row's text in row order: `(offsets, data)`.
    pub(crate) fn plain(&self) -> Got<(Vec<i32>, Vec<u8>)> {
        let mut offsets = Vec::with_capacity(self.codes.len() + 1);
        let mut data = Vec::new();
        offsets.push(0);
        for &k in &self.codes {
            data.extend_from_slice(self.value(k as usize));
            offsets.push(i32::try_from(data.len()).map_err(|_| Unsupported)?);
        }
        Ok((offsets, data))
    }

    /// The distinct values in order of first appearance and each row's index among them.
    pub(crate) fn distinct(&self) -> (Vec<&[u8]>, Vec<u32>) {
        let mut seen: std::collections::HashMap<&[u8], u32> = std::collections::HashMap::new();
        let mut values: Vec<&[u8]> = Vec::new();
        // Each value of the table is looked up once; rows follow their value's index.
        let mut of_value: Vec<u32> = vec![u32::MAX; self.offsets.len().saturating_sub(1)];
        let codes = self
            .codes
            .iter()
            .map(|&k| {
                let slot = &mut of_value[k as usize];
                if *slot == u32::MAX {
                    let v = self.value(k as usize);
                    *slot = *seen.entry(v).or_insert_with(|| {
                        values.push(v);
                        (values.len() - 1) as u32
                    });
                }
                *slot
            })
            .collect();
        (values, codes)
    }

    fn push_value(&mut self, v: &[u8]) -> Got<()> {
        self.data.extend_from_slice(v);
        self.offsets
            .push(i32::try_from(self.data.len()).map_err(|_| Unsupported)?);
        Ok(())
    }
}

/// An integer column (INT32 widened): its values, 0 where null, and whether any is null
/// with, then, one byte per row (1 = a value).
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Ints {
    pub values: Vec<i64>,
    pub defined: Option<Vec<u8>>,
}

impl Ints {
    /// The rows' validity as an Arrow bitmap (least significant bit first), none without nulls.
    pub(crate) fn validity(&self) -> Option<Vec<u8>> {
        self.defined.as_ref().map(|d| {
            let mut bits = vec![0u8; d.len().div_ceil(8)];
            for (i, &x) in d.iter().enumerate() {
                bits[i / 8] |= (x & 1) << (i % 8);
            }
            bits
        })
    }
}

/// A time column's unit, as values per second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PerSecond(pub i64);

/// How many of a TIME or TIMESTAMP unit make a second.
fn per_second(unit: &TimeUnit) -> i64 {
    match unit {
        TimeUnit::MILLIS => 1_000,
        TimeUnit::MICROS => 1_000_000,
        TimeUnit::NANOS => 1_000_000_000,
    }
}

/// A parquet file held in memory (pages are sliced from it, not copied, when uncompressed).
pub(crate) struct File {
    reader: SerializedFileReader<Bytes>,
    /// The file's length in bytes.
    len: u64,
}

/// One page of a column chunk, decompressed.
enum Piece<'a> {
    Dictionary {
        buf: &'a [u8],
        n: usize,
    },
    /// `n` rows; `defined` one byte per row (1 = a value) when the column may hold nulls; the
    /// values of the defined rows, in `encoding`.
    Data {
        n: usize,
        defined: Option<&'a [u8]>,
        values: &'a [u8],
        encoding: Encoding,
    },
}

impl File {
    pub(crate) fn open(path: &str) -> Got<Self> {
        let bytes = std::fs::read(path).map_err(|_| Unsupported)?;
        Self::from_bytes(Bytes::from(bytes))
    }

    pub(crate) fn from_bytes(bytes: Bytes) -> Got<Self> {
        let len = bytes.len() as u64;
        // The footer is what the parquet crate reads; a file must open with the magic too.
        if bytes.get(..4) != Some(b"PAR1".as_slice()) {
            return Err(Unsupported);
        }
        let file = File {
            reader: SerializedFileReader::new(bytes)?,
            len,
        };
        // Arrow's 32-bit offsets, and no metadata believed beyond them.
        if file.rows() > i32::MAX as usize {
            return Err(Unsupported);
        }
        Ok(file)
    }

    /// Whether row group `g`'s chunk of column `col` lies inside the file: the parquet crate
    /// panics when asked for the pages of a chunk whose offset or size is negative (a damaged
    /// footer), and such a file is pyarrow's to refuse, by name. Only the columns read are
    /// checked, as only they are read.
    fn chunk_inside(&self, g: usize, col: usize) -> bool {
        let Some(c) = self
            .reader
            .metadata()
            .row_groups()
            .get(g)
            .and_then(|g| g.columns().get(col))
        else {
            return false;
        };
        let start = c.dictionary_page_offset().unwrap_or_else(|| c.data_page_offset());
        let (Ok(start), Ok(size), true) = (
            u64::try_from(start),
            u64::try_from(c.compressed_size()),
            c.data_page_offset() >= 0,
        ) else {
            return false;
        };
        start.checked_add(size).is_some_and(|end| end <= self.len)
    }

    /// Room to reserve for a column: its rows, up to a million (a file's metadata is not
    /// trusted with an allocation; a longer column grows as its pages are read).
    fn capacity(&self) -> usize {
        self.rows().min(1 << 20)
    }

    pub(crate) fn rows(&self) -> usize {
        usize::try_from(self.reader.metadata().file_metadata().num_rows()).unwrap_or(usize::MAX)
    }

    /// The leaf column named `name` at the top level: none when absent; unsupported when
    /// nested, repeated, deeper than optional or named twice.
    fn column(&self, name: &str) -> Got<Option<usize>> {
        let schema = self.reader.metadata().file_metadata().schema_descr();
        let mut found = None;
        for (i, c) in schema.columns().iter().enumerate() {
            let parts = c.path().parts();
            if parts.first().map(String::as_str) != Some(name) {
                continue;
            }
            if parts.len() != 1 || c.max_rep_level() != 0 || c.max_def_level() > 1 || found.is_some() {
                return Err(Unsupported);
            }
            found = Some(i);
        }
        Ok(found)
    }

    fn descr(&self, col: usize) -> &ColumnDescriptor {
        &self.reader.metadata().file_metadata().schema_descr().columns()[col]
    }

    /// Every page of a column, row group after row group; checks that they give one value or
    /// null per row of the file.
    fn each_page(&self, col: usize, mut f: impl FnMut(Piece<'_>) -> Got<()>) -> Got<()> {
        let optional = self.descr(col).max_def_level() == 1;
        let mut levels: Vec<u8> = Vec::new();
        let mut rows = 0usize;
        for g in 0..self.reader.num_row_groups() {
            if !self.chunk_inside(g, col) {
                return Err(Unsupported);
            }
            let group = self.reader.get_row_group(g)?;
            let mut pages = group.get_column_page_reader(col)?;
            while let Some(page) = pages.get_next_page()? {
                // A data page's rows, encoding, coded definition levels (when the column may
                // hold nulls) and values, whichever version of page it is.
                let (n, encoding, coded, values) = match &page {
                    Page::DictionaryPage {
                        buf,
                        num_values,
                        encoding,
                        ..
                    } => {
                        if !matches!(encoding, Encoding::PLAIN | Encoding::PLAIN_DICTIONARY) {
                            return Err(Unsupported);
                        }
                        f(Piece::Dictionary {
                            buf,
                            n: *num_values as usize,
                        })?;
                        continue;
                    }
                    Page::DataPage {
                        buf,
                        num_values,
                        encoding,
                        def_level_encoding,
                        ..
                    } => {
                        if !optional {
                            (*num_values as usize, *encoding, None, &buf[..])
                        } else if *def_level_encoding != Encoding::RLE {
                            return Err(Unsupported);
                        } else {
                            let len = le_u32(buf, 0)? as usize;
                            let coded = buf.get(4..4 + len).ok_or(Unsupported)?;
                            let values = buf.get(4 + len..).ok_or(Unsupported)?;
                            (*num_values as usize, *encoding, Some(coded), values)
                        }
                    }
                    Page::DataPageV2 {
                        buf,
                        num_values,
                        encoding,
                        def_levels_byte_len,
                        rep_levels_byte_len,
                        ..
                    } => {
                        if *rep_levels_byte_len != 0 {
                            return Err(Unsupported);
                        }
                        let d = *def_levels_byte_len as usize;
                        let coded = buf.get(..d).ok_or(Unsupported)?;
                        let values = buf.get(d..).ok_or(Unsupported)?;
                        (*num_values as usize, *encoding, optional.then_some(coded), values)
                    }
                };
                // No page decodes more values than the file says it has rows.
                if rows.saturating_add(n) > self.rows() {
                    return Err(Unsupported);
                }
                if let Some(coded) = coded {
                    levels.clear();
                    hybrid(coded, 1, n, &mut levels)?;
                    if levels.iter().any(|&x| x > 1) {
                        return Err(Unsupported);
                    }
                }
                rows += n;
                f(Piece::Data {
                    n,
                    defined: optional.then_some(&levels[..]),
                    values,
                    encoding,
                })?;
            }
        }
        if rows != self.rows() {
            return Err(Unsupported);
        }
        Ok(())
    }

    /// A UTF-8 text column without nulls (none when the file has no such column).
    pub(crate) fn texts(&self, name: &str) -> Got<Option<Texts>> {
        let Some(col) = self.column(name)? else {
            return Ok(None);
        };
        let d = self.descr(col);
        let utf8 = matches!(d.logical_type_ref(), Some(LogicalType::String))
            || (d.logical_type_ref().is_none() && d.converted_type() == ConvertedType::UTF8);
        if d.physical_type() != Physical::BYTE_ARRAY || !utf8 {
            return Err(Unsupported);
        }
        let mut t = Texts {
            offsets: vec![0],
            data: Vec::new(),
            codes: Vec::with_capacity(self.capacity()),
        };
        let (mut base, mut size) = (0u32, 0u32);
        let mut idx: Vec<u32> = Vec::new();
        self.each_page(col, |p| match p {
            Piece::Dictionary { buf, n } => {
                base = u32::try_from(t.offsets.len() - 1).map_err(|_| Unsupported)?;
                size = u32::try_from(n).map_err(|_| Unsupported)?;
                plain_byte_arrays(buf, n, |v| t.push_value(v))
            }
            Piece::Data {
                n,
                defined,
                values,
                encoding,
            } => {
                if defined.is_some_and(|d| d.contains(&0)) {
                    return Err(Unsupported);
                }
                if is_dictionary(encoding) {
                    indices(values, n, size, &mut idx)?;
                    t.codes.extend(idx.iter().map(|&k| base + k));
                    Ok(())
                } else if encoding == Encoding::PLAIN {
                    plain_byte_arrays(values, n, |v| {
                        t.codes
                            .push(u32::try_from(t.offsets.len() - 1).map_err(|_| Unsupported)?);
                        t.push_value(v)
                    })
                } else {
                    Err(Unsupported)
                }
            }
        })?;
        // Text that is not UTF-8 is pyarrow's to refuse (its reader checks it): the whole is
        // valid and every value starts on a character.
        let starts_char = |o: &i32| t.data.get(*o as usize).is_none_or(|b| b & 0xC0 != 0x80);
        if std::str::from_utf8(&t.data).is_err() || !t.offsets.iter().all(starts_char) {
            return Err(Unsupported);
        }
        Ok(Some(t))
    }

    /// An INT32 or INT64 column of `physical` type, nulls allowed.
    fn ints(&self, col: usize, physical: Physical) -> Got<Ints> {
        if self.descr(col).physical_type() != physical {
            return Err(Unsupported);
        }
        let width = if physical == Physical::INT32 { 4 } else { 8 };
        let mut out = Ints {
            values: Vec::with_capacity(self.capacity()),
            defined: None,
        };
        let mut dict: Vec<i64> = Vec::new();
        let mut idx: Vec<u32> = Vec::new();
        let mut page: Vec<i64> = Vec::new();
        self.each_page(col, |p| match p {
            Piece::Dictionary { buf, n } => {
                dict.clear();
                plain_ints(buf, n, width, &mut dict)
            }
            Piece::Data {
                n,
                defined,
                values,
                encoding,
            } => {
                let nulls = defined.filter(|d| d.contains(&0));
                let present = nulls.map_or(n, |d| d.iter().filter(|&&x| x == 1).count());
                // Without nulls the values go straight to the column; else through the page.
                let to = if nulls.is_some() {
                    page.clear();
                    &mut page
                } else {
                    &mut out.values
                };
                if is_dictionary(encoding) {
                    indices(values, present, dict.len() as u32, &mut idx)?;
                    to.extend(idx.iter().map(|&k| dict[k as usize]));
                } else if encoding == Encoding::PLAIN {
                    plain_ints(values, present, width, to)?;
                } else {
                    return Err(Unsupported);
                }
                if nulls.is_some() {
                    spread(&mut out, n, defined, &page, 0);
                } else if let Some(all) = out.defined.as_mut() {
                    all.resize(all.len() + n, 1);
                }
                Ok(())
            }
        })?;
        Ok(out)
    }

    /// Days since 1970-01-01 (INT32 DATE), no nulls.
    pub(crate) fn dates(&self, name: &str) -> Got<Option<Vec<i32>>> {
        let Some(col) = self.column(name)? else {
            return Ok(None);
        };
        let d = self.descr(col);
        let date = matches!(d.logical_type_ref(), Some(LogicalType::Date))
            || (d.logical_type_ref().is_none() && d.converted_type() == ConvertedType::DATE);
        if !date {
            return Err(Unsupported);
        }
        let ints = self.ints(col, Physical::INT32)?;
        required(ints)?
            .into_iter()
            .map(|v| i32::try_from(v).map_err(|_| Unsupported))
            .collect::<Got<Vec<i32>>>()
            .map(Some)
    }

    /// Seconds since midnight (TIME in milli-, micro- or nanoseconds, whole seconds), no nulls.
    pub(crate) fn seconds_of_day(&self, name: &str) -> Got<Option<Vec<i32>>> {
        let Some(col) = self.column(name)? else {
            return Ok(None);
        };
        let d = self.descr(col);
        let unit = match (d.logical_type_ref(), d.converted_type()) {
            (Some(LogicalType::Time(t)), _) => t.unit,
            (None, ConvertedType::TIME_MILLIS) => TimeUnit::MILLIS,
            (None, ConvertedType::TIME_MICROS) => TimeUnit::MICROS,
            _ => return Err(Unsupported),
        };
        // Parquet stores TIME in milliseconds as INT32, finer units as INT64.
        let physical = match unit {
            TimeUnit::MILLIS => Physical::INT32,
            _ => Physical::INT64,
        };
        let per = per_second(&unit);
        // A fraction of a second is pyarrow's to refuse (its cast to seconds loses data).
        required(self.ints(col, physical)?)?
            .into_iter()
            .map(|v| {
                if v % per != 0 {
                    return Err(Unsupported);
                }
                i32::try_from(v / per).map_err(|_| Unsupported)
            })
            .collect::<Got<Vec<i32>>>()
            .map(Some)
    }

    /// A timestamp column (INT64 TIMESTAMP in any unit, with or without a zone), nulls
    /// allowed: the values in their unit and the unit.
    pub(crate) fn instants(&self, name: &str) -> Got<Option<(Ints, PerSecond)>> {
        let Some(col) = self.column(name)? else {
            return Ok(None);
        };
        let d = self.descr(col);
        let unit = match (d.logical_type_ref(), d.converted_type()) {
            (Some(LogicalType::Timestamp(t)), _) => t.unit,
            (None, ConvertedType::TIMESTAMP_MILLIS) => TimeUnit::MILLIS,
            (None, ConvertedType::TIMESTAMP_MICROS) => TimeUnit::MICROS,
            _ => return Err(Unsupported),
        };
        Ok(Some((self.ints(col, Physical::INT64)?, PerSecond(per_second(&unit)))))
    }

    /// A BOOLEAN column as one byte per row (a null is false, as `tijdreg.arrow` reads it).
    pub(crate) fn flags(&self, name: &str) -> Got<Option<Vec<u8>>> {
        let Some(col) = self.column(name)? else {
            return Ok(None);
        };
        if self.descr(col).physical_type() != Physical::BOOLEAN {
            return Err(Unsupported);
        }
        let mut out: Vec<u8> = Vec::with_capacity(self.capacity());
        let mut bits: Vec<u8> = Vec::new();
        self.each_page(col, |p| match p {
            Piece::Dictionary { .. } => Err(Unsupported),
            Piece::Data {
                n,
                defined,
                values,
                encoding,
            } => {
                let present = defined.map_or(n, |d| d.iter().filter(|&&x| x == 1).count());
                bits.clear();
                match encoding {
                    Encoding::PLAIN => unpack(values, present, &mut bits)?,
                    Encoding::RLE => {
                        let len = le_u32(values, 0)? as usize;
                        hybrid(values.get(4..4 + len).ok_or(Unsupported)?, 1, present, &mut bits)?;
                    }
                    _ => return Err(Unsupported),
                }
                match defined.filter(|d| d.contains(&0)) {
                    None => out.extend_from_slice(&bits),
                    // A null is false.
                    Some(d) => spread_values(&mut out, &d[..n], &bits, 0),
                }
                Ok(())
            }
        })?;
        Ok(Some(out))
    }
}

fn is_dictionary(e: Encoding) -> bool {
    matches!(e, Encoding::RLE_DICTIONARY | Encoding::PLAIN_DICTIONARY)
}

/// The values of a column without nulls.
fn required(ints: Ints) -> Got<Vec<i64>> {
    if ints.defined.as_ref().is_some_and(|d| d.contains(&0)) {
        return Err(Unsupported);
    }
    Ok(ints.values)
}

/// A page's present values spread over its `n` rows (`fill` where null).
fn spread(out: &mut Ints, n: usize, defined: Option<&[u8]>, page: &[i64], fill: i64) {
    let Some(d) = defined.filter(|d| d.contains(&0)) else {
        out.values.extend_from_slice(page);
        if let Some(all) = out.defined.as_mut() {
            all.resize(all.len() + n, 1);
        }
        return;
    };
    let before = out.values.len();
    let all = out.defined.get_or_insert_with(|| vec![1; before]);
    all.extend_from_slice(&d[..n]);
    spread_values(&mut out.values, &d[..n], page, fill);
}

/// A page's values over its rows, `defined` one byte per row: without a branch per row, a
/// null takes `fill`, a value the next of the page's.
fn spread_values<T: Copy>(out: &mut Vec<T>, defined: &[u8], page: &[T], fill: T) {
    let mut k = 0usize;
    let last = page.len().saturating_sub(1);
    out.extend(defined.iter().map(|&x| {
        let v = if x == 1 {
            page.get(k.min(last)).copied().unwrap_or(fill)
        } else {
            fill
        };
        k += usize::from(x);
        v
    }));
}

fn le_u32(b: &[u8], at: usize) -> Got<u32> {
    b.get(at..at + 4)
        .and_then(|s| s.try_into().ok())
        .map(u32::from_le_bytes)
        .ok_or(Unsupported)
}

/// `n` PLAIN byte arrays (a 4-byte length, then the bytes).
fn plain_byte_arrays(buf: &[u8], n: usize, mut each: impl FnMut(&[u8]) -> Got<()>) -> Got<()> {
    let mut at = 0usize;
    for _ in 0..n {
        let len = le_u32(buf, at)? as usize;
        let v = buf.get(at + 4..at + 4 + len).ok_or(Unsupported)?;
        each(v)?;
        at += 4 + len;
    }
    Ok(())
}

/// `n` PLAIN little-endian integers of `width` bytes (4 or 8), appended as i64.
fn plain_ints(buf: &[u8], n: usize, width: usize, out: &mut Vec<i64>) -> Got<()> {
    let bytes = buf.get(..n.checked_mul(width).ok_or(Unsupported)?).ok_or(Unsupported)?;
    if width == 4 {
        out.extend(
            bytes
                .chunks_exact(4)
                .map(|c| i64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]]))),
        );
    } else {
        out.extend(
            bytes
                .chunks_exact(8)
                .map(|c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])),
        );
    }
    Ok(())
}

/// `n` dictionary indices of a data page (a byte of bit width, then the RLE / bit-packed
/// hybrid), each checked to be below `size`.
fn indices(buf: &[u8], n: usize, size: u32, out: &mut Vec<u32>) -> Got<()> {
    out.clear();
    if n == 0 {
        return Ok(());
    }
    let (&width, rest) = buf.split_first().ok_or(Unsupported)?;
    if width > 32 {
        return Err(Unsupported);
    }
    hybrid_u32(rest, u32::from(width), n, out)?;
    if out.iter().any(|&k| k >= size) {
        return Err(Unsupported);
    }
    Ok(())
}

/// `n` values of at most 8 bits of the RLE / bit-packed hybrid encoding (levels, booleans).
fn hybrid(buf: &[u8], width: u32, n: usize, out: &mut Vec<u8>) -> Got<()> {
    hybrid_into(buf, width, n, out, |v| v as u8)
}

/// `n` values of the RLE / bit-packed hybrid encoding, `width` bits each (≤ 32), appended to
/// `out`.
fn hybrid_u32(buf: &[u8], width: u32, n: usize, out: &mut Vec<u32>) -> Got<()> {
    hybrid_into(buf, width, n, out, |v| v)
}

fn hybrid_into<T: Copy + Default>(
    buf: &[u8],
    width: u32,
    n: usize,
    out: &mut Vec<T>,
    to: impl Fn(u32) -> T + Copy,
) -> Got<()> {
    let target = out.len() + n;
    let value_bytes = width.div_ceil(8) as usize;
    let mut at = 0usize;
    while out.len() < target {
        let header = varint(buf, &mut at)?;
        let left = target - out.len();
        if header & 1 == 0 {
            let count = ((header >> 1) as usize).min(left);
            if count == 0 {
                return Err(Unsupported);
            }
            let mut v = [0u8; 4];
            v[..value_bytes].copy_from_slice(buf.get(at..at + value_bytes).ok_or(Unsupported)?);
            at += value_bytes;
            out.resize(out.len() + count, to(u32::from_le_bytes(v)));
        } else {
            let groups = (header >> 1) as usize;
            if groups == 0 {
                return Err(Unsupported);
            }
            let len = groups.checked_mul(width as usize).ok_or(Unsupported)?;
            // A last run may stop before its padding (some writers leave it out).
            let bytes = buf.get(at..(at + len).min(buf.len())).ok_or(Unsupported)?;
            let take = (groups * 8).min(left);
            if (take * width as usize).div_ceil(8) > bytes.len() {
                return Err(Unsupported);
            }
            unpack_into(bytes, width, take, out, to);
            at += bytes.len();
        }
    }
    Ok(())
}

fn varint(buf: &[u8], at: &mut usize) -> Got<u32> {
    let mut v = 0u32;
    for shift in (0..35).step_by(7) {
        let b = *buf.get(*at).ok_or(Unsupported)?;
        *at += 1;
        v |= u32::from(b & 0x7f).checked_shl(shift).ok_or(Unsupported)?;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(Unsupported)
}

/// `n` bit-packed values (least significant bit first) of `width` bits from `bytes`, which
/// must hold them.
fn unpack_into<T: Copy + Default>(bytes: &[u8], width: u32, n: usize, out: &mut Vec<T>, to: impl Fn(u32) -> T) {
    if width == 0 {
        out.resize(out.len() + n, to(0));
        return;
    }
    let mask = if width == 32 {
        u64::from(u32::MAX)
    } else {
        (1u64 << width) - 1
    };
    let w = width as usize;
    out.reserve(n);
    // Values whose eight bytes from their first lie inside `bytes` are read as one word each;
    // the last few through a zero-padded copy.
    let fast = if bytes.len() >= 8 {
        ((bytes.len() - 8) * 8 / w + 1).min(n)
    } else {
        0
    };
    out.extend((0..fast).map(|i| {
        let bit = i * w;
        let s = &bytes[bit / 8..bit / 8 + 8];
        let word = u64::from_le_bytes([s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]]);
        to(((word >> (bit % 8)) & mask) as u32)
    }));
    out.extend((fast..n).map(|i| {
        let bit = i * w;
        let mut b = [0u8; 8];
        let tail = bytes.get(bit / 8..).unwrap_or(&[]);
        let k = tail.len().min(8);
        b[..k].copy_from_slice(&tail[..k]);
        to(((u64::from_le_bytes(b) >> (bit % 8)) & mask) as u32)
    }));
}

/// `n` bit-packed booleans (PLAIN encoding), one byte each.
fn unpack(bytes: &[u8], n: usize, out: &mut Vec<u8>) -> Got<()> {
    if n.div_ceil(8) > bytes.len() {
        return Err(Unsupported);
    }
    unpack_into(bytes, 1, n, out, |v| v as u8);
    Ok(())
}

/// The three tables of a call read from their files, as `tijdreg.arrow` lays out the
/// columns it takes from pyarrow (`_columns`).
pub(crate) struct Tables {
    session_ids: (Vec<i32>, Vec<u8>),
    trainings: (Vec<i32>, Vec<u8>),
    statuses: (Vec<i32>, Vec<u8>),
    dates: Vec<i32>,
    starts: Vec<i32>,
    ends: Vec<i32>,
    /// The sessions' `project` column, if the file has one: the distinct projects and each
    /// session's index among them.
    projects: Option<(Vec<String>, Vec<u32>)>,
    a_session: Texts,
    a_person: Texts,
    check_in: (Ints, PerSecond),
    check_out: (Ints, PerSecond),
    late: Option<Vec<u8>>,
    suspect: Option<Vec<u8>>,
    absent: Option<Vec<u8>>,
    /// The breaks table, when given and not empty.
    breaks: Option<Breaks>,
}

fn need<T>(x: Option<T>) -> Got<T> {
    x.ok_or(Unsupported)
}

/// The sessions table (and its projects when `with_projects`).
fn sessions(f: &File, with_projects: bool) -> Got<Tables> {
    let plain = |name: &str| need(f.texts(name)?)?.plain();
    let projects = if with_projects {
        let t = need(f.texts("project")?)?;
        let (values, codes) = t.distinct();
        let names = values
            .iter()
            .map(|v| std::str::from_utf8(v).map(str::to_owned).map_err(|_| Unsupported))
            .collect::<Got<Vec<String>>>()?;
        Some((names, codes))
    } else {
        None
    };
    Ok(Tables {
        session_ids: plain("id")?,
        trainings: plain("training")?,
        statuses: plain("status")?,
        dates: need(f.dates("date")?)?,
        starts: need(f.seconds_of_day("start")?)?,
        ends: need(f.seconds_of_day("end")?)?,
        projects,
        a_session: Texts::default(),
        a_person: Texts::default(),
        check_in: (Ints::default(), PerSecond(1)),
        check_out: (Ints::default(), PerSecond(1)),
        late: None,
        suspect: None,
        absent: None,
        breaks: None,
    })
}

/// A breaks table: each break's session, start and end (seconds of the day).
type Breaks = (Texts, Vec<i32>, Vec<i32>);

fn breaks(f: &File) -> Got<Option<Breaks>> {
    if f.rows() == 0 {
        return Ok(None);
    }
    Ok(Some((
        need(f.texts("session")?)?,
        need(f.seconds_of_day("start")?)?,
        need(f.seconds_of_day("end")?)?,
    )))
}

/// The attendance table's ids, flags and check-outs: about half of the reading, done on a
/// thread of its own while the other thread reads the sessions, the breaks and the check-ins.
type Ids = (
    Texts,
    Texts,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    (Ints, PerSecond),
);

fn attendance_ids(f: &File) -> Got<Ids> {
    Ok((
        need(f.texts("session")?)?,
        need(f.texts("person")?)?,
        f.flags("late")?,
        f.flags("clock_suspect")?,
        f.flags("absent")?,
        need(f.instants("check_out")?)?,
    ))
}

/// Reads the three files (`breaks` optional) on `threads` threads (1 or more).
pub(crate) fn read_tables(
    sessions_path: &str,
    attendance_path: &str,
    breaks_path: Option<&str>,
    with_projects: bool,
    threads: usize,
) -> Got<Tables> {
    let att = File::open(attendance_path)?;
    let rest = || -> Got<(Tables, Option<Breaks>, (Ints, PerSecond))> {
        let s = sessions(&File::open(sessions_path)?, with_projects)?;
        let b = match breaks_path {
            Some(p) => breaks(&File::open(p)?)?,
            None => None,
        };
        Ok((s, b, need(att.instants("check_in")?)?))
    };
    let (ids, rest) = if threads > 1 {
        std::thread::scope(|scope| {
            let ids = scope.spawn(|| attendance_ids(&att));
            let rest = rest();
            (ids.join().unwrap_or_else(|p| std::panic::resume_unwind(p)), rest)
        })
    } else {
        (attendance_ids(&att), rest())
    };
    let (a_session, a_person, late, suspect, absent, check_out) = ids?;
    let (s, breaks, check_in) = rest?;
    Ok(Tables {
        a_session,
        a_person,
        check_in,
        check_out,
        late,
        suspect,
        absent,
        breaks,
        ..s
    })
}

fn bytes_of<'py, T: Copy, const N: usize>(
    py: Python<'py>,
    v: &[T],
    le: impl Fn(T) -> [u8; N],
) -> PyResult<Bound<'py, PyBytes>> {
    PyBytes::new_with(py, v.len() * N, |b| {
        for (c, &x) in b.chunks_exact_mut(N).zip(v) {
            c.copy_from_slice(&le(x));
        }
        Ok(())
    })
}

fn i32s<'py>(py: Python<'py>, v: &[i32]) -> PyResult<Bound<'py, PyBytes>> {
    bytes_of(py, v, i32::to_le_bytes)
}

fn codes<'py>(py: Python<'py>, v: &[u32]) -> PyResult<Bound<'py, PyBytes>> {
    bytes_of(py, v, u32::to_le_bytes)
}

fn plain<'py>(py: Python<'py>, (offsets, data): &(Vec<i32>, Vec<u8>)) -> PyResult<Bound<'py, PyTuple>> {
    PyTuple::new(py, [i32s(py, offsets)?, PyBytes::new(py, data)])
}

/// A text column as `(offsets, data, codes)`: the values and a code per row.
fn keyed<'py>(py: Python<'py>, t: &Texts) -> PyResult<Bound<'py, PyTuple>> {
    PyTuple::new(
        py,
        [i32s(py, &t.offsets)?, PyBytes::new(py, &t.data), codes(py, &t.codes)?],
    )
}

fn instants<'py>(py: Python<'py>, (ints, per): &(Ints, PerSecond)) -> PyResult<Bound<'py, PyAny>> {
    let values = bytes_of(py, &ints.values, i64::to_le_bytes)?;
    let validity = ints.validity().map(|v| PyBytes::new(py, &v));
    Ok((values, validity, 0usize, per.0).into_pyobject(py)?.into_any())
}

fn flags<'py>(py: Python<'py>, f: &Option<Vec<u8>>) -> Option<Bound<'py, PyBytes>> {
    f.as_ref().map(|v| PyBytes::new(py, v))
}

/// The tables of parquet files as `tijdreg.arrow._columns` gives them from pyarrow's —
/// `(sessions, attendance, breaks, projects)`, the sessions' `"project"` codes and the
/// projects' names when `projects` — or `None` when this reader leaves the files to pyarrow
/// (see the module's documentation). Read without the GIL, on two threads when `threads` is
/// not 1. The counting reads the files through [`call_totals_from_parquet`] and
/// [`report_from_parquet`]; this gives what they read, to compare it with pyarrow's reading
/// (the tests do, value for value) or to look at it.
#[pyfunction]
#[pyo3(signature = (sessions, attendance, breaks=None, projects=false, threads=None))]
pub(crate) fn read_parquet_tables<'py>(
    py: Python<'py>,
    sessions: String,
    attendance: String,
    breaks: Option<String>,
    projects: bool,
    threads: Option<usize>,
) -> PyResult<Option<Bound<'py, PyTuple>>> {
    let threads = columns::threads_or_cores(threads);
    let read = crate::guarded(py, || {
        Ok(read_tables(&sessions, &attendance, breaks.as_deref(), projects, threads).ok())
    })?;
    let Some(t) = read else {
        return Ok(None);
    };
    let sess = PyDict::new(py);
    sess.set_item("sessions.id", plain(py, &t.session_ids)?)?;
    sess.set_item("sessions.training", plain(py, &t.trainings)?)?;
    sess.set_item("sessions.status", plain(py, &t.statuses)?)?;
    sess.set_item("date", i32s(py, &t.dates)?)?;
    sess.set_item("start", i32s(py, &t.starts)?)?;
    sess.set_item("end", i32s(py, &t.ends)?)?;
    let names = match &t.projects {
        Some((names, of_session)) => {
            sess.set_item("project", codes(py, of_session)?)?;
            Some(names.clone())
        }
        None => None,
    };
    let att = PyDict::new(py);
    att.set_item("attendance.session", keyed(py, &t.a_session)?)?;
    att.set_item("attendance.person", keyed(py, &t.a_person)?)?;
    att.set_item("check_in", instants(py, &t.check_in)?)?;
    att.set_item("check_out", instants(py, &t.check_out)?)?;
    att.set_item("late", flags(py, &t.late))?;
    att.set_item("clock_suspect", flags(py, &t.suspect))?;
    att.set_item("absent", flags(py, &t.absent))?;
    let brk = PyDict::new(py);
    if let Some((session, start, end)) = &t.breaks {
        brk.set_item("breaks.session", keyed(py, session)?)?;
        brk.set_item("start", i32s(py, start)?)?;
        brk.set_item("end", i32s(py, end)?)?;
    }
    Ok(Some(PyTuple::new(
        py,
        [
            sess.into_any(),
            att.into_any(),
            brk.into_any(),
            names.into_pyobject(py)?.into_any(),
        ],
    )?))
}

/// Instants in `per` units a second to whole seconds, floored, in place; a null is
/// `columns::NO_INSTANT` (as `tijdreg.arrow` passes them from pyarrow).
fn seconds((ints, per): (Ints, PerSecond)) -> Vec<i64> {
    fn floor<const UNIT: i64>(v: &mut [i64]) {
        for x in v.iter_mut() {
            *x = x.div_euclid(UNIT);
        }
    }
    let Ints { mut values, defined } = ints;
    match per.0 {
        1 => {}
        1_000 => floor::<1_000>(&mut values),
        1_000_000 => floor::<1_000_000>(&mut values),
        _ => floor::<1_000_000_000>(&mut values),
    }
    if let Some(d) = defined {
        for (x, &ok) in values.iter_mut().zip(&d) {
            if ok == 0 {
                *x = tijdreg::subsidy::columns::NO_INSTANT;
            }
        }
    }
    values
}

fn bools(f: Option<Vec<u8>>) -> Option<Vec<bool>> {
    f.map(|v| v.into_iter().map(|x| x != 0).collect())
}

/// A text column read from parquet as the counting takes it: its values checked, a code per
/// row.
fn coded_texts<'a>(offsets: &[i32], data: &'a [u8], codes: Vec<u32>, key: &str) -> Result<columns::Text<'a>, Error> {
    columns::coded(columns::checked_texts(offsets, data, key)?, codes, key)
}

/// Each e-learning row's project as its index among the call's projects.
fn projects_of(names: &[Option<String>], projects: &[String]) -> Result<Vec<u32>, Error> {
    let index: std::collections::HashMap<&str, u32> = projects
        .iter()
        .enumerate()
        .map(|(i, p)| (p.as_str(), i as u32))
        .collect();
    names
        .iter()
        .enumerate()
        .map(|(row, p)| {
            p.as_deref().and_then(|p| index.get(p).copied()).ok_or_else(|| {
                Error::invalid(
                    format!("elearning[{row}].project: a project without sessions in this call"),
                    format!("elearning[{row}].project: een project zonder sessies in deze oproep"),
                )
            })
        })
        .collect()
}

/// The tables typed, matched and checked as the counting takes them, handed to `then` (they
/// borrow the tables' texts, which live here); on two threads when `threads` > 1.
fn with_owned<R>(
    t: Tables,
    extra: Extra<'_>,
    threads: usize,
    then: impl FnOnce(&columns::Owned<'_>) -> Result<R, Error>,
) -> Result<R, Error> {
    let Tables {
        session_ids,
        trainings,
        statuses,
        dates,
        starts,
        ends,
        projects: _,
        a_session,
        a_person,
        check_in,
        check_out,
        late,
        suspect,
        absent,
        breaks,
    } = t;
    let (b_session, b_start, b_end) = breaks.unwrap_or_default();
    let Texts {
        offsets: as_offsets,
        data: as_data,
        codes: as_codes,
    } = a_session;
    let Texts {
        offsets: ap_offsets,
        data: ap_data,
        codes: ap_codes,
    } = a_person;
    let Texts {
        offsets: bs_offsets,
        data: bs_data,
        codes: bs_codes,
    } = b_session;
    // Checked as `call_totals_from_columns` checks the columns Python passes.
    let typed = Typed {
        session_ids: columns::checked_texts(&session_ids.0, &session_ids.1, "sessions.id")?,
        session_trainings: columns::checked_texts(&trainings.0, &trainings.1, "sessions.training")?,
        status_names: columns::checked_texts(&statuses.0, &statuses.1, "sessions.status")?,
        a_session: coded_texts(&as_offsets, &as_data, as_codes, "attendance.session")?,
        a_person: coded_texts(&ap_offsets, &ap_data, ap_codes, "attendance.person")?,
        b_session: coded_texts(&bs_offsets, &bs_data, bs_codes, "breaks.session")?,
        dates,
        starts,
        ends,
        b_start,
        b_end,
    };
    // The instants and flags converted on a thread of their own while the rest is matched.
    let convert = move || {
        (
            seconds(check_in),
            seconds(check_out),
            bools(late),
            bools(suspect),
            bools(absent),
        )
    };
    let (rest, times) = if threads > 1 {
        std::thread::scope(|scope| {
            let times = scope.spawn(convert);
            let rest = columns::rest_of(typed, extra);
            (rest, times.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
        })
    } else {
        (columns::rest_of(typed, extra), convert())
    };
    then(&columns::with_times(rest?, times))
}

/// The totals of every project of a call whose tables are parquet files, read and counted
/// without the GIL and without a Python object per column: `(projects, summaries)` as
/// `call_totals_from_columns` gives them, or `None` when the files are pyarrow's to read
/// (see the module's documentation). With `project`, the files are that one project's (a
/// partition of a hive dataset, whose sessions file has no `project` column; one there is not
/// read).
#[pyfunction]
#[pyo3(signature = (sessions, attendance, breaks, params_json, closures, elearning_json, elearning_projects, at, threads=None, project=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn call_totals_from_parquet<'py>(
    py: Python<'py>,
    sessions: String,
    attendance: String,
    breaks: Option<String>,
    params_json: &str,
    closures: Vec<String>,
    elearning_json: &str,
    elearning_projects: Vec<Option<String>>,
    at: &str,
    threads: Option<usize>,
    project: Option<String>,
) -> PyResult<Option<Bound<'py, PyTuple>>> {
    let threads = columns::threads_or_cores(threads);
    let got = crate::guarded(py, || {
        let Ok(mut t) = read_tables(&sessions, &attendance, breaks.as_deref(), project.is_none(), threads) else {
            return Ok(None);
        };
        // One project's files (a hive partition: no project column), or a call's.
        let sessions_n = t.session_ids.0.len().saturating_sub(1);
        let (projects, session_project) = match (project, t.projects.take()) {
            // A partition without sessions holds no project, whatever else it holds (as when
            // `tijdreg.dask` reads it through pyarrow).
            (Some(_), _) if sessions_n == 0 => return Ok(Some((Vec::new(), Vec::new()))),
            (Some(p), _) => (vec![p], vec![0u32; sessions_n]),
            (None, Some(x)) => x,
            (None, None) => return Ok(None),
        };
        let extra = Extra::call(params_json, closures, elearning_json);
        let summaries = with_owned(t, extra, threads, |o| {
            let elearning_project = projects_of(&elearning_projects, &projects)?;
            let at = tijdreg::calendar::parse_instant(at)?;
            columns::count_call(o, &session_project, &projects, &elearning_project, at, threads)
        })?;
        Ok(Some((projects, summaries)))
    })?;
    let Some((projects, summaries)) = got else {
        return Ok(None);
    };
    let summaries = crate::pyser::plain(py, &summaries)?;
    Ok(Some(PyTuple::new(
        py,
        [projects.into_pyobject(py)?.into_any(), summaries],
    )?))
}

/// A report, or with `totals_only` its summary as JSON, of one project whose tables are
/// parquet files — what `report_from_columns` gives for the same tables — read and counted
/// without the GIL; `None` when the files are pyarrow's to read.
#[pyfunction]
#[pyo3(signature = (sessions, attendance, breaks, project, params_json, closures, elearning_json, at, totals_only=false, threads=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn report_from_parquet(
    py: Python<'_>,
    sessions: String,
    attendance: String,
    breaks: Option<String>,
    project: String,
    params_json: &str,
    closures: Vec<String>,
    elearning_json: &str,
    at: &str,
    totals_only: bool,
    threads: Option<usize>,
) -> PyResult<Option<Py<PyAny>>> {
    enum Out {
        Report(Box<tijdreg::subsidy::Report>),
        Totals(String),
    }
    let threads = columns::threads_or_cores(threads);
    let got = crate::guarded(py, || {
        let Ok(t) = read_tables(&sessions, &attendance, breaks.as_deref(), false, threads) else {
            return Ok(None);
        };
        let extra = Extra::project(project, params_json, closures, elearning_json);
        with_owned(t, extra, threads, |o| {
            let c = columns::compact(o)?;
            let at = tijdreg::calendar::parse_instant(at)?;
            if totals_only {
                let s = tijdreg::subsidy::totals_compact(&c, at)?;
                return serde_json::to_string(&s)
                    .map(Out::Totals)
                    .map_err(|_| Error::invalid("the summary as JSON", "de samenvatting als JSON"));
            }
            Ok(Out::Report(Box::new(tijdreg::subsidy::report_compact(&c, at)?)))
        })
        .map(Some)
    })?;
    Ok(match got {
        None => None,
        Some(Out::Totals(s)) => Some(s.into_pyobject(py)?.into_any().unbind()),
        Some(Out::Report(r)) => Some(Py::new(py, crate::PyReport { inner: *r })?.into_any()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The hybrid encoding written the plain way: runs of `(value, count, packed)`, a packed
    /// run in groups of eight (its last group padded with zeros).
    fn encode(runs: &[(Vec<u32>, bool)], width: u32) -> Vec<u8> {
        let mut out = Vec::new();
        let varint = |mut v: u32, out: &mut Vec<u8>| loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                break;
            }
            out.push(b | 0x80);
        };
        for (values, packed) in runs {
            if *packed {
                let groups = values.len().div_ceil(8);
                varint(((groups as u32) << 1) | 1, &mut out);
                let mut bits = vec![0u8; groups * width as usize];
                for (i, &v) in values.iter().enumerate() {
                    for b in 0..width as usize {
                        if v >> b & 1 == 1 {
                            let at = i * width as usize + b;
                            bits[at / 8] |= 1 << (at % 8);
                        }
                    }
                }
                out.extend(bits);
            } else {
                varint((values.len() as u32) << 1, &mut out);
                out.extend(&values[0].to_le_bytes()[..width.div_ceil(8) as usize]);
            }
        }
        out
    }

    /// A file of one `int64` column whose footer places its one column chunk at `offset`
    /// with `size` bytes (the footer alone, no pages: what matters is what reading the
    /// column does).
    fn file_with_chunk(offset: i64, size: i64) -> Bytes {
        use parquet::file::metadata::{
            ColumnChunkMetaData, FileMetaData, ParquetMetaData, ParquetMetaDataWriter, RowGroupMetaData,
        };
        use parquet::schema::{parser::parse_message_type, types::SchemaDescriptor};
        use std::sync::Arc;
        let schema = Arc::new(SchemaDescriptor::new(Arc::new(
            parse_message_type("message m { required int64 x; }").expect("schema"),
        )));
        let chunk = ColumnChunkMetaData::builder(schema.column(0))
            .set_num_values(1)
            .set_data_page_offset(offset)
            .set_total_compressed_size(size)
            .build()
            .expect("chunk");
        let group = RowGroupMetaData::builder(schema.clone())
            .set_num_rows(1)
            .set_column_metadata(vec![chunk])
            .build()
            .expect("row group");
        let meta = ParquetMetaData::new(FileMetaData::new(1, 1, None, None, schema, None), vec![group]);
        let mut footer = Vec::new();
        ParquetMetaDataWriter::new(&mut footer, &meta).finish().expect("footer");
        let mut file = b"PAR1".to_vec();
        file.extend([0u8; 16]);
        file.extend(&footer);
        file.extend((footer.len() as u32).to_le_bytes());
        file.extend(b"PAR1");
        Bytes::from(file)
    }

    /// A damaged footer (a column chunk at a negative offset or of a negative size, or past the
    /// end of the file) is pyarrow's to refuse: the parquet crate would panic on the first two
    /// when asked for the chunk's pages (issue 11; found by mutating files pyarrow wrote).
    #[test]
    fn a_column_chunk_outside_the_file_is_left_to_pyarrow() {
        // Inside the file: it opens, and its column (sixteen zero bytes, no page) is refused.
        let inside = File::from_bytes(file_with_chunk(4, 16)).expect("opens");
        assert_eq!(inside.ints(0, Physical::INT64).map(|_| ()), Err(Unsupported));
        for (offset, size) in [(-5, 16), (4, -1), (4, 1 << 40), (i64::MAX, 1), (1 << 40, 0)] {
            let read = File::from_bytes(file_with_chunk(offset, size)).and_then(|f| f.ints(0, Physical::INT64));
            assert_eq!(read.map(|_| ()), Err(Unsupported), "chunk at {offset} of {size} bytes");
        }
    }

    #[test]
    fn the_specs_examples_decode() {
        // Parquet's own example: 0..=7 bit-packed in three bits.
        let mut out = Vec::new();
        hybrid_u32(&[0x03, 0x88, 0xC6, 0xFA], 3, 8, &mut out).unwrap_or_default();
        assert_eq!(out, (0..8).collect::<Vec<u32>>());
        // A run of five threes in two bits; a run of 32-bit values; width 0.
        out.clear();
        assert_eq!(hybrid_u32(&[0x0a, 0x03], 2, 5, &mut out), Ok(()));
        assert_eq!(out, vec![3; 5]);
        out.clear();
        assert_eq!(hybrid_u32(&[0x04, 0xff, 0xff, 0xff, 0xff], 32, 2, &mut out), Ok(()));
        assert_eq!(out, vec![u32::MAX; 2]);
        out.clear();
        assert_eq!(hybrid_u32(&[0x06], 0, 3, &mut out), Ok(()));
        assert_eq!(out, vec![0; 3]);
        // Fewer values than asked, an empty run, a varint past 32 bits: refused, not a panic.
        for (buf, width, n) in [
            (&[0x0a, 0x03][..], 2, 6),
            (&[0x00, 0x01][..], 1, 1),
            (&[0x03, 0x88][..], 3, 8),
            (&[0xff, 0xff, 0xff, 0xff, 0xff, 0x01][..], 1, 1),
            (&[][..], 1, 1),
        ] {
            out.clear();
            assert_eq!(hybrid_u32(buf, width, n, &mut out), Err(Unsupported), "{buf:?}");
        }
        // Dictionary indices: a code past the dictionary is refused.
        let mut idx = Vec::new();
        assert_eq!(indices(&[2, 0x0a, 0x03], 5, 4, &mut idx), Ok(()));
        assert_eq!(indices(&[2, 0x0a, 0x03], 5, 3, &mut idx), Err(Unsupported));
        assert_eq!(indices(&[33, 0x0a, 0x03], 5, 9, &mut idx), Err(Unsupported));
    }

    proptest! {
        /// Runs of any width, packed or repeated, in any mix, decode to their values; asking
        /// for fewer stops early (a last packed group's padding is not a value).
        #[test]
        fn hybrid_decodes_what_was_encoded(
            width in 0u32..=32,
            runs in prop::collection::vec((prop::collection::vec(any::<u32>(), 1..40), any::<bool>()), 1..8),
            drop in 0usize..8,
        ) {
            let mask = if width == 32 { u32::MAX } else { (1u32 << width) - 1 };
            // Writers pad a packed run to a group of eight, so only the last one may end inside a
            // group (its padding is not values): the others keep whole groups.
            let last = runs.len() - 1;
            let runs: Vec<(Vec<u32>, bool)> = runs
                .into_iter()
                .enumerate()
                .map(|(i, (v, packed))| {
                    let mut v: Vec<u32> = v.into_iter().map(|x| x & mask).collect();
                    if packed && i != last {
                        v.truncate(v.len() / 8 * 8);
                    }
                    if packed && !v.is_empty() { (v, true) } else { (vec![v.first().copied().unwrap_or(0); v.len().max(1)], false) }
                })
                .collect();
            let buf = encode(&runs, width);
            let want: Vec<u32> = runs.iter().flat_map(|(v, _)| v.iter().copied()).collect();
            let n = want.len().saturating_sub(drop).max(1);
            let mut out = Vec::new();
            prop_assert_eq!(hybrid_u32(&buf, width, n, &mut out), Ok(()));
            prop_assert_eq!(&out[..], &want[..n]);
            let mut small = Vec::new();
            if width <= 8 {
                prop_assert_eq!(hybrid(&buf, width, n, &mut small), Ok(()));
                prop_assert!(small.iter().zip(&want).all(|(&a, &b)| u32::from(a) == b));
            }
        }

        /// Any bytes: a value, or refused — never a panic nor a read past the buffer.
        #[test]
        fn page_decoders_refuse_garbage_without_panicking(
            buf in prop::collection::vec(any::<u8>(), 0..64),
            width in 0u32..=40,
            n in 0usize..300,
        ) {
            let mut out = Vec::new();
            let _ = hybrid_u32(&buf, width.min(32), n, &mut out);
            let _ = indices(&buf, n, 7, &mut out);
            let mut small = Vec::new();
            let _ = hybrid(&buf, width.min(8), n, &mut small);
            let _ = unpack(&buf, n, &mut small);
            let mut ints = Vec::new();
            let _ = plain_ints(&buf, n, 4, &mut ints);
            let _ = plain_ints(&buf, n, 8, &mut ints);
            let mut count = 0usize;
            let _ = plain_byte_arrays(&buf, n, |_| { count += 1; Ok(()) });
            prop_assert!(count <= n);
            let _ = File::from_bytes(Bytes::from(buf.clone()));
        }
    }

    #[test]
    fn instants_are_floored_to_seconds_and_nulls_are_none() {
        let no = tijdreg::subsidy::columns::NO_INSTANT;
        for (per, raw, want) in [
            (1_000, vec![1_500, -1, -1_000, -1_001, 0], vec![1, -1, -1, -2, no]),
            (1_000_000_000, vec![1_999_999_999, -1, 0, 3, 7], vec![1, -1, 0, 0, no]),
            (1, vec![-5, 5, 0, 1, 2], vec![-5, 5, 0, 1, no]),
        ] {
            let ints = Ints {
                values: raw,
                defined: Some(vec![1, 1, 1, 1, 0]),
            };
            assert_eq!(seconds((ints, PerSecond(per))), want, "{per}");
        }
    }

    #[test]
    fn spread_puts_values_in_their_rows() {
        let mut out = Ints::default();
        spread(&mut out, 3, None, &[1, 2, 3], 0);
        spread(&mut out, 4, Some(&[1, 0, 0, 1]), &[4, 5], 0);
        spread(&mut out, 2, Some(&[1, 1]), &[6, 7], 0);
        assert_eq!(out.values, vec![1, 2, 3, 4, 0, 0, 5, 6, 7]);
        assert_eq!(out.defined, Some(vec![1, 1, 1, 1, 0, 0, 1, 1, 1]));
        assert_eq!(out.validity(), Some(vec![0b1100_1111, 0b1]));
    }
}
