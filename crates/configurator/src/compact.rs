//! The compact compiled form: a rule set with its diagram, so a browser loads a product without
//! running the diagram search again (on the synthetic large instance that search is most of
//! compiling; see the README's table).
//!
//! Layout: the magic `ATELIERC`, then little-endian the format version (u32), the payload's
//! length (u64) and its FNV-1a 64-bit checksum, then the payload: the rule set as JSON (u64
//! length, bytes), whether it is satisfiable (u8), and the diagram's arrays, each a count then
//! its items, all as LEB128 varints (weights zig-zagged): node variables, arcs per node, arc
//! values, arc weights, children per arc, children, roots. The checksum catches corruption;
//! every count is checked against the bytes left before anything is allocated (an item takes
//! at least a byte), and the arrays are checked by [`Compiled`] before any pass runs, so no
//! input can panic or allocate more than its own size.

use crate::compile::{Compiled, OwnedDiagram};
use crate::model::RuleSet;

const MAGIC: &[u8; 8] = b"ATELIERC";
/// The compact form's format version this engine writes and reads.
pub const COMPACT_VERSION: u32 = 1;
const HEADER: usize = 8 + 4 + 8 + 8;

/// Why bytes are not a compact compiled form this engine can load.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompactError {
    #[error("not a compiled configurator (wrong magic)")]
    NotCompact,
    #[error(
        "compact form version {0} is not supported (this engine reads version {COMPACT_VERSION})"
    )]
    UnsupportedVersion(u32),
    #[error("the compact form is cut short")]
    Truncated,
    #[error("the compact form is corrupt (checksum mismatch)")]
    Checksum,
    #[error("the compact form is corrupt: {0}")]
    Corrupt(&'static str),
    #[error("the compact form's rule set is invalid: {0}")]
    Rules(String),
}

/// FNV-1a, 64 bits.
pub(crate) fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

pub(crate) fn encode(rules: &RuleSet, c: &Compiled) -> Vec<u8> {
    let json = serde_json::to_vec(rules).expect("a rule set always serialises");
    let d = c.diagram();
    let mut payload =
        Vec::with_capacity(json.len() + 4 * (d.arc_w.len() + d.kids.len() + d.node_var.len()));
    payload.extend_from_slice(&(json.len() as u64).to_le_bytes());
    payload.extend_from_slice(&json);
    payload.push(u8::from(d.satisfiable));
    let varints = |p: &mut Vec<u8>, xs: &mut dyn ExactSizeIterator<Item = u64>| {
        varint(p, xs.len() as u64);
        xs.for_each(|x| varint(p, x));
    };
    varints(&mut payload, &mut wide(d.node_var));
    varints(&mut payload, &mut lengths(d.node_arcs));
    varints(&mut payload, &mut d.arc_val.iter().map(|&x| x as u64));
    // zig-zag: small weights of either sign take one or two bytes
    varints(
        &mut payload,
        &mut d.arc_w.iter().map(|&w| ((w << 1) ^ (w >> 63)) as u64),
    );
    varints(&mut payload, &mut lengths(d.arc_kids));
    varints(&mut payload, &mut wide(d.kids));
    varints(&mut payload, &mut wide(d.roots));
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&COMPACT_VERSION.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&checksum(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    out
}

fn lengths(ranges: &[u32]) -> impl ExactSizeIterator<Item = u64> + '_ {
    ranges.windows(2).map(|w| (w[1] - w[0]) as u64)
}

fn wide(xs: &[u32]) -> impl ExactSizeIterator<Item = u64> + '_ {
    xs.iter().map(|&x| x as u64)
}

fn varint(out: &mut Vec<u8>, mut x: u64) {
    while x >= 0x80 {
        out.push(x as u8 | 0x80);
        x >>= 7;
    }
    out.push(x as u8);
}

/// Reads little-endian items off the front of a byte slice.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], CompactError> {
        if n > self.0.len() {
            return Err(CompactError::Truncated);
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], CompactError> {
        let mut a = [0; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn varint(&mut self) -> Result<u64, CompactError> {
        let mut x = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.take(1)?[0];
            let bits = (b & 0x7f) as u64;
            if shift == 63 && bits > 1 {
                return Err(CompactError::Corrupt("a number beyond 64 bits"));
            }
            x |= bits << shift;
            if b & 0x80 == 0 {
                return Ok(x);
            }
        }
        Err(CompactError::Corrupt("a number beyond 64 bits"))
    }

    /// A count, then that many varints, each converted by `item` (None: out of its range).
    fn items<T>(&mut self, item: fn(u64) -> Option<T>) -> Result<Vec<T>, CompactError> {
        let n = self.varint()?;
        // every item takes at least one byte: this bounds the allocation by the input
        if n > self.0.len() as u64 {
            return Err(CompactError::Truncated);
        }
        let mut out = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let x = self.varint()?;
            out.push(item(x).ok_or(CompactError::Corrupt("a number out of range"))?);
        }
        Ok(out)
    }

    /// Per-item lengths, as the running ranges `0, l0, l0 + l1, …` the diagram keeps.
    fn ranges(&mut self) -> Result<Vec<u32>, CompactError> {
        let lengths = self.items(|x| u32::try_from(x).ok())?;
        let mut out = Vec::with_capacity(lengths.len() + 1);
        out.push(0u32);
        let mut at = 0u32;
        for l in lengths {
            at = at.checked_add(l).ok_or(CompactError::Corrupt("ranges"))?;
            out.push(at);
        }
        Ok(out)
    }
}

pub(crate) fn decode(bytes: &[u8]) -> Result<(RuleSet, OwnedDiagram), CompactError> {
    let mut r = Reader(bytes);
    if r.take(MAGIC.len()).map_err(|_| CompactError::NotCompact)? != MAGIC {
        return Err(CompactError::NotCompact);
    }
    let version = u32::from_le_bytes(r.array()?);
    if version != COMPACT_VERSION {
        return Err(CompactError::UnsupportedVersion(version));
    }
    let len = u64::from_le_bytes(r.array()?);
    let sum = u64::from_le_bytes(r.array()?);
    if len != r.0.len() as u64 {
        return Err(if len > r.0.len() as u64 {
            CompactError::Truncated
        } else {
            CompactError::Corrupt("bytes after the payload")
        });
    }
    if checksum(r.0) != sum {
        return Err(CompactError::Checksum);
    }
    let json_len = u64::from_le_bytes(r.array()?);
    let json = r.take(usize::try_from(json_len).map_err(|_| CompactError::Truncated)?)?;
    // `from_str`, not `from_slice`: the shop's browser code parses rule sets from text too, and
    // each reader type instantiates serde_json's deserializer for `RuleSet` again (the second
    // copy cost the shop's release wasm 23 KB raw, 2.7 KB brotli).
    let json = std::str::from_utf8(json).map_err(|_| CompactError::Corrupt("rule set text"))?;
    let rules: RuleSet =
        serde_json::from_str(json).map_err(|e| CompactError::Rules(e.to_string()))?;
    let satisfiable = match r.take(1)?[0] {
        0 => false,
        1 => true,
        _ => return Err(CompactError::Corrupt("satisfiable flag")),
    };
    let d = OwnedDiagram {
        satisfiable,
        node_var: r.items(|x| u32::try_from(x).ok())?,
        node_arcs: r.ranges()?,
        arc_val: r.items(|x| u16::try_from(x).ok())?,
        arc_w: r.items(|z| Some((z >> 1) as i64 ^ -((z & 1) as i64)))?,
        arc_kids: r.ranges()?,
        kids: r.items(|x| u32::try_from(x).ok())?,
        roots: r.items(|x| u32::try_from(x).ok())?,
    };
    if !r.0.is_empty() {
        return Err(CompactError::Corrupt("bytes after the diagram"));
    }
    Ok((rules, d))
}
