//! The shipped form of an index: one versioned byte blob for the browser, loaded without
//! analysing the articles again.
//!
//! Layout: `FAQS` + format version byte, then three length-prefixed (u32 LE) sections: a JSON
//! header (params, documents' ids/questions/answer texts/field lengths, stems, synonyms,
//! evidence), the vocabulary FST as it is, and the postings as LEB128 varints (per term: count,
//! then per document the doc-id gap and the four field frequencies). The learned part is not
//! stored: it is recomputed from the evidence on load. Loading checks every id and length, so
//! a truncated or damaged blob is a [`LoadError`], never a panic (the FST's own checksum is
//! verified before it is walked; the blob is the shop's own, so a forged checksum is not in the
//! threat model).

use fst::Map;
use serde::{Deserialize, Serialize};

use crate::analyze::Analyzer;
use crate::article::{Evidence, Synonym};
use crate::index::{Doc, Index, Params, Posting, STATIC_FIELDS};

const MAGIC: &[u8; 4] = b"FAQS";
const VERSION: u8 = 1;

#[derive(Debug)]
pub enum LoadError {
    NotAnIndex,
    UnsupportedVersion(u8),
    Truncated,
    Header(serde_json::Error),
    Vocabulary(fst::Error),
    Corrupt(&'static str),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::NotAnIndex => f.write_str("not a FAQ index (bad magic bytes)"),
            LoadError::UnsupportedVersion(v) => write!(
                f,
                "FAQ index format {v} is not supported (expected {VERSION})"
            ),
            LoadError::Truncated => f.write_str("FAQ index is truncated"),
            LoadError::Header(e) => write!(f, "FAQ index header: {e}"),
            LoadError::Vocabulary(e) => write!(f, "FAQ index vocabulary: {e}"),
            LoadError::Corrupt(what) => write!(f, "FAQ index is corrupt: {what}"),
        }
    }
}

impl std::error::Error for LoadError {}

#[derive(Serialize, Deserialize)]
struct Header {
    params: Params,
    docs: Vec<Doc>,
    terms: Vec<String>,
    synonyms: Vec<Synonym>,
    evidence: Vec<Evidence>,
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], LoadError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or(LoadError::Truncated)?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn section(&mut self) -> Result<&'a [u8], LoadError> {
        let len = self.take(4)?;
        let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
        self.take(len)
    }

    fn varint(&mut self) -> Result<u64, LoadError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.take(1)?[0];
            v |= u64::from(b & 0x7F) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(LoadError::Corrupt("varint too long"))
    }
}

/// Bytes of the blob's three sections (JSON header, vocabulary FST, postings), for size
/// reports; `None` if `bytes` is not a blob of this format.
pub fn section_sizes(bytes: &[u8]) -> Option<[usize; 3]> {
    let mut r = Reader { bytes, at: 0 };
    if r.take(4).ok()? != MAGIC || r.take(1).ok()? != [VERSION] {
        return None;
    }
    Some([
        r.section().ok()?.len(),
        r.section().ok()?.len(),
        r.section().ok()?.len(),
    ])
}

impl Index {
    /// The index as one blob (see the module docs for the layout).
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = Header {
            params: self.params.clone(),
            docs: self.docs.clone(),
            terms: self.terms[..self.static_terms].to_vec(),
            synonyms: self.synonyms.clone(),
            evidence: self.evidence.clone(),
        };
        let header = serde_json::to_vec(&header).expect("the header is plain data");
        let vocab = self.static_vocab.as_fst().as_bytes();
        let mut postings = Vec::new();
        for list in &self.postings {
            put_varint(&mut postings, list.len() as u64);
            let mut last = 0u32;
            for p in list {
                put_varint(&mut postings, u64::from(p.doc - last));
                last = p.doc;
                for &tf in &p.tf {
                    put_varint(&mut postings, u64::from(tf));
                }
            }
        }
        let mut out = Vec::with_capacity(5 + 12 + header.len() + vocab.len() + postings.len());
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        for section in [&header[..], vocab, &postings] {
            out.extend_from_slice(&(section.len() as u32).to_le_bytes());
            out.extend_from_slice(section);
        }
        out
    }

    /// Loads a blob written by [`Index::to_bytes`] (of this format version).
    pub fn from_bytes(bytes: &[u8]) -> Result<Index, LoadError> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(4).map_err(|_| LoadError::NotAnIndex)? != MAGIC {
            return Err(LoadError::NotAnIndex);
        }
        let version = r.take(1)?[0];
        if version != VERSION {
            return Err(LoadError::UnsupportedVersion(version));
        }
        let header: Header = serde_json::from_slice(r.section()?).map_err(LoadError::Header)?;
        let vocab = Map::new(r.section()?.to_vec()).map_err(LoadError::Vocabulary)?;
        // fst trusts its bytes when walking them (a damaged node is a panic there), so its
        // checksum is checked before any walk.
        vocab.as_fst().verify().map_err(LoadError::Vocabulary)?;
        if !Index::vocab_ids_valid(&vocab, header.terms.len()) {
            return Err(LoadError::Corrupt("vocabulary names an unknown term"));
        }
        let mut pr = Reader {
            bytes: r.section()?,
            at: 0,
        };
        let docs = header.docs.len() as u64;
        let mut postings = Vec::with_capacity(header.terms.len());
        for _ in 0..header.terms.len() {
            let count = pr.varint()?;
            if count > docs {
                return Err(LoadError::Corrupt("posting list longer than the documents"));
            }
            let mut list = Vec::with_capacity(count as usize);
            let mut doc = 0u64;
            for i in 0..count {
                let gap = pr.varint()?;
                doc = doc
                    .checked_add(gap)
                    .ok_or(LoadError::Corrupt("document id overflow"))?;
                if doc >= docs || (i > 0 && gap == 0) {
                    return Err(LoadError::Corrupt("posting names an unknown document"));
                }
                let mut tf = [0u16; STATIC_FIELDS];
                for f in &mut tf {
                    *f = u16::try_from(pr.varint()?)
                        .map_err(|_| LoadError::Corrupt("term frequency"))?;
                }
                list.push(Posting {
                    doc: doc as u32,
                    tf,
                });
            }
            postings.push(list);
        }
        if pr.at != pr.bytes.len() || r.at != bytes.len() {
            return Err(LoadError::Corrupt("trailing bytes"));
        }
        Ok(Index::assemble(
            header.params,
            Analyzer::default(),
            header.docs,
            header.terms,
            postings,
            vocab,
            header.synonyms,
            header.evidence,
        ))
    }
}
