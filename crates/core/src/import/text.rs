//! CSV and tab-separated text files. The encoding: UTF-8 with or without a byte-order mark,
//! UTF-16 with one (Excel's "Unicode Text": UTF-16LE, tab-separated), and Windows-1252 cell by
//! cell when text is not UTF-8. The delimiter: `,` `;` or tab, from the first line.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use encoding_rs::{Decoder, Encoding, UTF_8};

use super::{ImportError, RowSource};

/// How much of the start of a file decides its encoding and delimiter.
const HEAD: u64 = 8192;

pub(super) struct CsvRows {
    reader: csv::Reader<Box<dyn Read + Send>>,
    record: csv::ByteRecord,
    path: String,
    line: u64,
    converted_encoding: bool,
}

impl CsvRows {
    pub(super) fn open(path: &Path) -> Result<Self, ImportError> {
        let display = path.display().to_string();
        let read_err = |source| ImportError::Read {
            path: display.clone(),
            source,
        };
        let mut head = Vec::with_capacity(HEAD as usize);
        File::open(path)
            .map_err(read_err)?
            .take(HEAD)
            .read_to_end(&mut head)
            .map_err(read_err)?;
        // A byte-order mark names the encoding; UTF-16 is decoded to UTF-8 as it is read.
        let (bom, utf16) = match Encoding::for_bom(&head) {
            Some((encoding, len)) => (len, (encoding != UTF_8).then_some(encoding)),
            None => (0, None),
        };
        let text = match utf16 {
            // A character cut at the end of the head does not matter to the checks below.
            Some(encoding) => encoding
                .decode_without_bom_handling(&head[bom..])
                .0
                .into_owned()
                .into_bytes(),
            None => head.split_off(bom),
        };
        if text.iter().all(u8::is_ascii_whitespace) {
            return Err(ImportError::Empty(display));
        }
        if text.contains(&0) {
            return Err(ImportError::Binary(display));
        }
        let mut file = File::open(path).map_err(read_err)?;
        file.seek(SeekFrom::Start(bom as u64)).map_err(read_err)?;
        let input: Box<dyn Read + Send> = match utf16 {
            Some(encoding) => Box::new(Transcoded::new(file, encoding)),
            None => Box::new(file),
        };
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter(&text))
            .buffer_capacity(1 << 16)
            .from_reader(input);
        Ok(Self {
            reader,
            record: csv::ByteRecord::new(),
            path: display,
            line: 0,
            converted_encoding: false,
        })
    }
}

/// Whichever of `,` `;` tab appears most in the first line, outside quotes (on a tie the later of
/// the three).
fn delimiter(text: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in text {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    [b',', b';', b'\t']
        .into_iter()
        .zip(counts)
        .max_by_key(|(_, n)| *n)
        .map_or(b',', |(d, _)| d)
}

impl RowSource for CsvRows {
    fn next_row(&mut self, row: &mut Vec<String>) -> Result<bool, ImportError> {
        let more = self
            .reader
            .read_byte_record(&mut self.record)
            .map_err(|source| ImportError::Csv {
                path: self.path.clone(),
                line: self.line + 1,
                source,
            })?;
        if !more {
            return Ok(false);
        }
        self.line = self
            .record
            .position()
            .map_or(self.line + 1, csv::Position::line);
        row.resize_with(self.record.len(), String::new);
        for (cell, field) in row.iter_mut().zip(&self.record) {
            cell.clear();
            match std::str::from_utf8(field) {
                Ok(s) => cell.push_str(s),
                Err(_) => {
                    // Spreadsheets on Windows export Windows-1252 (a superset of Latin-1).
                    self.converted_encoding = true;
                    cell.push_str(
                        &encoding_rs::WINDOWS_1252
                            .decode_without_bom_handling(field)
                            .0,
                    );
                }
            }
        }
        Ok(true)
    }

    fn line(&self) -> u64 {
        self.line
    }

    fn converted_encoding(&self) -> bool {
        self.converted_encoding
    }
}

/// Text in another encoding read as UTF-8, one chunk at a time (memory stays bounded by a chunk).
struct Transcoded<R> {
    inner: R,
    decoder: Decoder,
    input: Vec<u8>,
    output: Vec<u8>,
    /// How much of `output` has been handed out.
    pos: usize,
    done: bool,
}

impl<R: Read> Transcoded<R> {
    fn new(inner: R, encoding: &'static Encoding) -> Self {
        Self {
            inner,
            decoder: encoding.new_decoder_without_bom_handling(),
            input: vec![0; 1 << 16],
            output: Vec::new(),
            pos: 0,
            done: false,
        }
    }
}

impl<R: Read> Read for Transcoded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.output.len() && !self.done {
            let n = self.inner.read(&mut self.input)?;
            self.done = n == 0;
            let room = self
                .decoder
                .max_utf8_buffer_length(n)
                .ok_or_else(|| io::Error::other("text chunk too large to decode"))?;
            self.output.resize(room, 0);
            // With room for the worst case the decoder takes all the input; a code unit split
            // between chunks is kept in the decoder. Unpaired surrogates become U+FFFD.
            let (_, _, written, _) =
                self.decoder
                    .decode_to_utf8(&self.input[..n], &mut self.output, self.done);
            self.output.truncate(written);
            self.pos = 0;
        }
        let n = buf.len().min(self.output.len() - self.pos);
        buf[..n].copy_from_slice(&self.output[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delimiter_comes_from_the_first_line_outside_quotes() {
        for (text, want) in [
            ("a,b,c\n1;2;3;4;5\n", b','),
            ("a;b;c\n", b';'),
            ("a\tb\tc\n", b'\t'),
            ("\"Name, first\"\tCity\n", b'\t'),
            ("\"a;b;c\",d\n", b','),
            ("\"multi\nline; header\",x\n", b','),
            ("Notes, misc\tAmount\tDate\n", b'\t'),
        ] {
            assert_eq!(delimiter(text.as_bytes()) as char, want as char, "{text:?}");
        }
    }

    #[test]
    fn utf16_is_transcoded_across_chunk_boundaries() {
        // Tiny reads split code units and surrogate pairs between chunks.
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = buf.len().min(self.0.len()).min(3);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let text = "Name\tCity\nRené\tKöln 🌍\n";
        for (encoding, bytes) in [
            (
                encoding_rs::UTF_16LE,
                text.encode_utf16()
                    .flat_map(u16::to_le_bytes)
                    .collect::<Vec<u8>>(),
            ),
            (
                encoding_rs::UTF_16BE,
                text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
            ),
        ] {
            let mut out = String::new();
            Transcoded::new(Trickle(&bytes), encoding)
                .read_to_string(&mut out)
                .unwrap();
            assert_eq!(out, text, "{}", encoding.name());
        }
    }
}
