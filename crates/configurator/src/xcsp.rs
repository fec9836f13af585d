//! Import of XCSP 2.1 instances with extensional (`supports` / `conflicts`) constraints and of
//! WCSP price files (soft relations, `defaultCost`, `C:` cost prefixes), the format of the
//! Renault benchmark rule sets.
//!
//! quick-xml reads the XML; this module interprets the four elements the format needs
//! (`domain`, `variable`, `relation`, `constraint`) wherever they appear. Files come from
//! outside, so nothing here trusts them: every quantity that multiplies (values over all
//! variables, tuples over all constraints, the combinations a `conflicts` relation expands to,
//! the sum of prices) is checked against a limit with checked arithmetic. That bounds the work
//! on any input by its length plus the limits below, and every failure is an [`ImportError`]
//! saying what is wrong and where (line and column).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use crate::model::RuleSet;
use crate::problem::{Constraint, CostFn, Problem, Val, Var, Variable};

/// Most values one domain may list (values are indexed by [`Val`]).
pub const MAX_DOMAIN_VALUES: usize = Val::MAX as usize;
/// Most values over all variables of an instance (a domain shared by many variables counts for
/// each of them).
pub const MAX_VALUES: usize = 1_000_000;
/// Most tuples kept over all constraints and price functions of one file (the large Renault
/// instance has about 226,000).
pub const MAX_TUPLES: usize = 2_000_000;
/// Most tuple entries (tuples × arity) over all constraints and price functions of one file.
pub const MAX_TUPLE_VALUES: usize = 20_000_000;
/// Most combinations the scope of a `conflicts` relation may span (its complement is listed).
pub const MAX_CONFLICTS_SCOPE: usize = 1_000_000;

/// A position in an imported file: 1-based line, and 1-based column counted in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

impl Location {
    /// The location of byte `offset` of `src` (clamped to its length).
    fn of(src: &str, offset: usize) -> Location {
        let before = &src.as_bytes()[..offset.min(src.len())];
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        Location {
            line: 1 + before.iter().filter(|&&b| b == b'\n').count(),
            // UTF-8 continuation bytes do not start a character
            column: 1 + before[line_start..]
                .iter()
                .filter(|&&b| b & 0xC0 != 0x80)
                .count(),
        }
    }
}

/// Where an element starts, turned into a [`Location`] only for an error (finding the line
/// scans the text before it).
#[derive(Clone, Copy)]
struct Site<'s> {
    src: &'s str,
    offset: usize,
}

impl Site<'_> {
    fn location(self) -> Location {
        Location::of(self.src, self.offset)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// Why an XCSP or WCSP file could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// Not well-formed XML, or an element lacks or garbles what the format needs.
    #[error("malformed XCSP: {0}")]
    Malformed(Malformed),
    /// A reference to a variable, domain or relation that the file does not define.
    #[error("unknown {kind} `{name}` at {at}")]
    Unknown {
        kind: &'static str,
        name: String,
        at: Location,
    },
    /// A tuple names a value that is not in its variable's domain.
    #[error("value `{value}` is not in the domain of variable `{var}` (in `{context}`, at {at})")]
    BadValue {
        var: String,
        value: String,
        context: String,
        at: Location,
    },
    /// More than the engine takes on (see the `MAX_*` limits of this module).
    #[error("{what} at {at} exceed the limit of {limit}")]
    TooLarge {
        what: Quantity,
        limit: u64,
        at: Location,
    },
}

/// What is malformed, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{defect} at {at}")]
pub struct Malformed {
    pub defect: Defect,
    pub at: Location,
}

/// The ways a file can be malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Defect {
    /// quick-xml's description of the syntax error.
    #[error("not well-formed XML ({0})")]
    Xml(String),
    #[error("<{element}> is never closed")]
    Unclosed { element: String },
    #[error("<{element}> inside <{parent}>, which holds only text")]
    Nested {
        element: String,
        parent: &'static str,
    },
    #[error("<{element}> without attribute `{attribute}`")]
    MissingAttribute {
        element: &'static str,
        attribute: &'static str,
    },
    #[error("{kind} `{name}` is defined twice")]
    Duplicate { kind: &'static str, name: String },
    #[error("domain `{domain}` has no values")]
    EmptyDomain { domain: String },
    #[error("domain `{domain}` lists value `{value}` twice")]
    RepeatedValue { domain: String, value: String },
    #[error("constraint `{constraint}` has an empty scope")]
    EmptyScope { constraint: String },
    #[error("tuple {tuple} of relation `{relation}` has {values} values for a scope of {arity}")]
    Arity {
        relation: String,
        tuple: usize,
        values: usize,
        arity: usize,
    },
    #[error("relation `{relation}` has semantics `{semantics}` ({expected} expected)")]
    Semantics {
        relation: String,
        semantics: String,
        expected: &'static str,
    },
    #[error("{what} `{text}` of relation `{relation}` is not a 64-bit integer")]
    Number {
        what: &'static str,
        text: String,
        relation: String,
    },
}

/// The quantities an import bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantity {
    /// Values listed by one domain ([`MAX_DOMAIN_VALUES`]).
    DomainValues,
    /// Values over all variables ([`MAX_VALUES`]).
    Values,
    /// Tuples over all constraints ([`MAX_TUPLES`]).
    Tuples,
    /// Tuple entries over all constraints ([`MAX_TUPLE_VALUES`]).
    TupleValues,
    /// Combinations of a `conflicts` relation's scope ([`MAX_CONFLICTS_SCOPE`]).
    ConflictsScope,
    /// The sum of the largest absolute costs, which must fit in an `i64` so that no total
    /// price can overflow.
    Cost,
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Quantity::DomainValues => "the values of one domain",
            Quantity::Values => "the values over all variables",
            Quantity::Tuples => "the tuples over all constraints",
            Quantity::TupleValues => "the tuple entries over all constraints",
            Quantity::ConflictsScope => "the combinations of a conflicts relation's scope",
            Quantity::Cost => "the largest costs added up",
        })
    }
}

/// The elements this reader interprets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Domain,
    Variable,
    Relation,
    Constraint,
}

impl Kind {
    fn of(tag: &str) -> Option<Kind> {
        match tag {
            "domain" => Some(Kind::Domain),
            "variable" => Some(Kind::Variable),
            "relation" => Some(Kind::Relation),
            "constraint" => Some(Kind::Constraint),
            _ => None,
        }
    }
    fn tag(self) -> &'static str {
        match self {
            Kind::Domain => "domain",
            Kind::Variable => "variable",
            Kind::Relation => "relation",
            Kind::Constraint => "constraint",
        }
    }
}

/// The attributes any of the four elements uses; others are ignored.
const KEYS: [&str; 6] = [
    "name",
    "domain",
    "reference",
    "scope",
    "semantics",
    "defaultCost",
];

/// One of the four elements, with its attributes and its text (entities resolved).
struct Element<'a> {
    kind: Kind,
    /// Byte offset of its `<`.
    offset: usize,
    /// Values of the [`KEYS`] it has, in that order, entities resolved.
    attrs: [Option<String>; KEYS.len()],
    /// Text content; borrowed from the file unless entities or CDATA split it.
    text: Cow<'a, str>,
}

impl Element<'_> {
    fn attr(&self, key: &str) -> Option<&str> {
        let i = KEYS.iter().position(|k| *k == key)?;
        self.attrs[i].as_deref()
    }
}

/// A file's elements in document order.
struct Document<'a> {
    src: &'a str,
    elements: Vec<Element<'a>>,
}

impl<'a> Document<'a> {
    fn read(src: &'a str) -> Result<Document<'a>, ImportError> {
        let mut reader = Reader::from_str(src);
        // names in the file are case-sensitive; quick-xml's default checks stay on (matching
        // end tags, no unmatched end tags)
        reader.config_mut().trim_text(false);
        let malformed = |defect: Defect, offset: usize| {
            ImportError::Malformed(Malformed {
                defect,
                at: Location::of(src, offset),
            })
        };
        let mut elements = Vec::new();
        // open elements (name, offset), to report one that is never closed
        let mut open: Vec<(String, usize)> = Vec::new();
        let mut current: Option<Element<'a>> = None;
        loop {
            let offset = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
            let event = reader.read_event().map_err(|e| {
                let at = usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
                malformed(Defect::Xml(e.to_string()), at)
            })?;
            match event {
                Event::Start(e) | Event::Empty(e) if current.is_some() => {
                    let parent = current.as_ref().map_or("?", |c| c.kind.tag());
                    return Err(malformed(
                        Defect::Nested {
                            element: e.name().as_ref().to_string(),
                            parent,
                        },
                        offset,
                    ));
                }
                Event::Start(e) => {
                    let name = e.name().as_ref().to_string();
                    if let Some(kind) = Kind::of(&name) {
                        current = Some(element(src, kind, &e, offset)?);
                    }
                    open.push((name, offset));
                }
                Event::Empty(e) => {
                    if let Some(kind) = Kind::of(e.name().as_ref()) {
                        elements.push(element(src, kind, &e, offset)?);
                    }
                }
                Event::End(_) => {
                    open.pop();
                    // nothing nests inside a current element, so this end tag closes it
                    if let Some(done) = current.take() {
                        elements.push(done);
                    }
                }
                Event::Text(t) => {
                    if let Some(c) = &mut current {
                        append(&mut c.text, t.into_inner());
                    }
                }
                Event::CData(t) => {
                    if let Some(c) = &mut current {
                        append(&mut c.text, t.into_inner());
                    }
                }
                Event::GeneralRef(r) => {
                    if let Some(c) = &mut current {
                        let resolved = match r.resolve_char_ref() {
                            Ok(Some(ch)) => Cow::Owned(ch.to_string()),
                            Ok(None) => match quick_xml::escape::resolve_xml_entity(&r) {
                                Some(s) => Cow::Borrowed(s),
                                None => {
                                    return Err(malformed(
                                        Defect::Xml(format!("unknown entity `&{};`", &*r)),
                                        offset,
                                    ));
                                }
                            },
                            Err(e) => return Err(malformed(Defect::Xml(e.to_string()), offset)),
                        };
                        append(&mut c.text, resolved);
                    }
                }
                Event::Eof => break,
                Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
            }
        }
        if let Some((element, offset)) = open.pop() {
            return Err(malformed(Defect::Unclosed { element }, offset));
        }
        Ok(Document { src, elements })
    }

    fn at(&self, e: &Element<'_>) -> Site<'a> {
        Site {
            src: self.src,
            offset: e.offset,
        }
    }

    fn malformed(&self, e: &Element<'_>, defect: Defect) -> ImportError {
        ImportError::Malformed(Malformed {
            defect,
            at: self.at(e).location(),
        })
    }

    fn need<'e>(&self, e: &'e Element<'_>, key: &'static str) -> Result<&'e str, ImportError> {
        e.attr(key).ok_or_else(|| {
            self.malformed(
                e,
                Defect::MissingAttribute {
                    element: e.kind.tag(),
                    attribute: key,
                },
            )
        })
    }
}

fn append<'a>(text: &mut Cow<'a, str>, piece: Cow<'a, str>) {
    if text.is_empty() {
        *text = piece;
    } else {
        text.to_mut().push_str(&piece);
    }
}

fn element<'a>(
    src: &str,
    kind: Kind,
    e: &BytesStart<'a>,
    offset: usize,
) -> Result<Element<'a>, ImportError> {
    let mut attrs: [Option<String>; KEYS.len()] = Default::default();
    for a in e.attributes() {
        let bad = |message: String| {
            ImportError::Malformed(Malformed {
                defect: Defect::Xml(message),
                at: Location::of(src, offset),
            })
        };
        let a = a.map_err(|err| bad(err.to_string()))?;
        if let Some(i) = KEYS.iter().position(|k| *k == a.key.as_ref()) {
            let value = a
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|err| bad(err.to_string()))?;
            attrs[i] = Some(value.into_owned());
        }
    }
    Ok(Element {
        kind,
        offset,
        attrs,
        text: Cow::Borrowed(""),
    })
}

/// Counts what an import keeps against the limits.
#[derive(Default)]
struct Budget {
    values: usize,
    tuples: usize,
    tuple_values: usize,
    /// Upper bound on the absolute value of any total cost.
    cost: u64,
}

fn too_large(what: Quantity, limit: usize, at: Site<'_>) -> ImportError {
    ImportError::TooLarge {
        what,
        limit: limit as u64,
        at: at.location(),
    }
}

impl Budget {
    fn values(&mut self, n: usize, at: Site<'_>) -> Result<(), ImportError> {
        self.values = self
            .values
            .checked_add(n)
            .filter(|&v| v <= MAX_VALUES)
            .ok_or_else(|| too_large(Quantity::Values, MAX_VALUES, at))?;
        Ok(())
    }

    fn tuple(&mut self, arity: usize, at: Site<'_>) -> Result<(), ImportError> {
        self.tuples += 1;
        if self.tuples > MAX_TUPLES {
            return Err(too_large(Quantity::Tuples, MAX_TUPLES, at));
        }
        self.tuple_values = self
            .tuple_values
            .checked_add(arity)
            .filter(|&v| v <= MAX_TUPLE_VALUES)
            .ok_or_else(|| too_large(Quantity::TupleValues, MAX_TUPLE_VALUES, at))?;
        Ok(())
    }

    fn cost(&mut self, magnitude: u64, at: Site<'_>) -> Result<(), ImportError> {
        self.cost = self
            .cost
            .checked_add(magnitude)
            .filter(|&c| c <= i64::MAX as u64)
            .ok_or_else(|| ImportError::TooLarge {
                what: Quantity::Cost,
                limit: i64::MAX as u64,
                at: at.location(),
            })?;
        Ok(())
    }
}

/// The `|`-separated rows of a relation, split once however many constraints use it.
struct Rows<'d> {
    tokens: Vec<&'d str>,
    /// (cost prefix, first token, number of tokens); rows with no tokens are kept only when
    /// they carry a cost, which applies to the rows after them.
    rows: Vec<(Option<&'d str>, usize, usize)>,
}

impl<'d> Rows<'d> {
    fn split(text: &'d str, with_costs: bool) -> Rows<'d> {
        let mut out = Rows {
            tokens: Vec::new(),
            rows: Vec::new(),
        };
        for piece in text.split('|') {
            let (cost, tuple) = match piece.split_once(':') {
                Some((c, rest)) if with_costs => (Some(c.trim()), rest),
                _ => (None, piece),
            };
            let start = out.tokens.len();
            out.tokens.extend(tuple.split_whitespace());
            let len = out.tokens.len() - start;
            if len > 0 || cost.is_some() {
                out.rows.push((cost, start, len));
            }
        }
        out
    }
}

/// Values of one domain, and where each label is.
struct DomainValues<'d> {
    labels: Vec<&'d str>,
    index: HashMap<&'d str, Val>,
}

fn domain_values<'d>(
    doc: &Document<'_>,
    name: &str,
    e: &'d Element<'_>,
) -> Result<DomainValues<'d>, ImportError> {
    let labels: Vec<&str> = e.text.split_whitespace().collect();
    if labels.is_empty() {
        return Err(doc.malformed(
            e,
            Defect::EmptyDomain {
                domain: name.to_string(),
            },
        ));
    }
    if labels.len() > MAX_DOMAIN_VALUES {
        return Err(too_large(
            Quantity::DomainValues,
            MAX_DOMAIN_VALUES,
            doc.at(e),
        ));
    }
    let mut index = HashMap::with_capacity(labels.len());
    for (i, &l) in labels.iter().enumerate() {
        // i < MAX_DOMAIN_VALUES = Val::MAX, so the index fits
        if index.insert(l, i as Val).is_some() {
            return Err(doc.malformed(
                e,
                Defect::RepeatedValue {
                    domain: name.to_string(),
                    value: l.to_string(),
                },
            ));
        }
    }
    Ok(DomainValues { labels, index })
}

/// Variables of a scope attribute.
fn scope_of(
    doc: &Document<'_>,
    e: &Element<'_>,
    index: &HashMap<&str, Var>,
) -> Result<Vec<Var>, ImportError> {
    let scope = doc
        .need(e, "scope")?
        .split_whitespace()
        .map(|n| {
            index.get(n).copied().ok_or_else(|| ImportError::Unknown {
                kind: "variable",
                name: n.to_string(),
                at: doc.at(e).location(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if scope.is_empty() {
        return Err(doc.malformed(
            e,
            Defect::EmptyScope {
                constraint: e.attr("name").unwrap_or("").to_string(),
            },
        ));
    }
    Ok(scope)
}

/// Registers a named element, refusing a name defined twice.
fn define<'e, 'a>(
    doc: &Document<'a>,
    map: &mut HashMap<&'e str, &'e Element<'a>>,
    e: &'e Element<'a>,
) -> Result<(), ImportError> {
    let name = doc.need(e, "name")?;
    if map.insert(name, e).is_some() {
        return Err(doc.malformed(
            e,
            Defect::Duplicate {
                kind: e.kind.tag(),
                name: name.to_string(),
            },
        ));
    }
    Ok(())
}

/// The relation a constraint references.
fn relation<'e, 'a>(
    doc: &Document<'a>,
    relations: &HashMap<&'e str, &'e Element<'a>>,
    constraint: &Element<'_>,
) -> Result<(&'e str, &'e Element<'a>), ImportError> {
    let reference = doc.need(constraint, "reference")?;
    match relations.get_key_value(reference) {
        Some((name, rel)) => Ok((name, rel)),
        None => Err(ImportError::Unknown {
            kind: "relation",
            name: reference.to_string(),
            at: doc.at(constraint).location(),
        }),
    }
}

/// One row of a relation as value indices of the scope's variables.
fn tuple(
    problem: &Problem,
    lookup: &[&HashMap<&str, Val>],
    scope: &[Var],
    values: &[&str],
    context: &str,
    at: Site<'_>,
) -> Result<Vec<Val>, ImportError> {
    scope
        .iter()
        .zip(values)
        .map(|(&v, &s)| {
            lookup[v as usize]
                .get(s)
                .copied()
                .ok_or_else(|| ImportError::BadValue {
                    var: problem.vars[v as usize].name.clone(),
                    value: s.to_string(),
                    context: context.to_string(),
                    at: at.location(),
                })
        })
        .collect()
}

/// One row of a relation: its `C:` cost prefix, if any, and its values.
type Row<'r> = (Option<&'r str>, &'r [&'r str]);

/// The rows of a relation applied to a scope of `arity` variables, in file order, each checked
/// to have one value per variable.
fn rows_for<'r>(
    doc: &Document<'_>,
    rel_name: &str,
    rel: &Element<'_>,
    rows: &'r Rows<'_>,
    arity: usize,
) -> Result<Vec<Row<'r>>, ImportError> {
    let mut out = Vec::with_capacity(rows.rows.len());
    let mut tuple = 0;
    for &(cost, start, len) in &rows.rows {
        let values = &rows.tokens[start..start + len];
        if len > 0 {
            tuple += 1;
            if len != arity {
                return Err(doc.malformed(
                    rel,
                    Defect::Arity {
                        relation: rel_name.to_string(),
                        tuple,
                        values: len,
                        arity,
                    },
                ));
            }
        }
        out.push((cost, values));
    }
    Ok(out)
}

/// Reads an XCSP 2.1 CSP instance whose constraints are extensional tables.
/// Value `-1` (the "not taken" joker of optional variables) stays a value named `-1`.
pub fn import_csp(src: &str) -> Result<Problem, ImportError> {
    let doc = Document::read(src)?;
    let mut domains = HashMap::new();
    let mut relations = HashMap::new();
    let mut variables = Vec::new();
    let mut constraints = Vec::new();
    for e in &doc.elements {
        match e.kind {
            Kind::Domain => define(&doc, &mut domains, e)?,
            Kind::Relation => define(&doc, &mut relations, e)?,
            Kind::Variable => variables.push((doc.need(e, "name")?, doc.need(e, "domain")?, e)),
            Kind::Constraint => constraints.push(e),
        }
    }
    let mut budget = Budget::default();
    // each domain is read once, on first use, however many variables share it
    let mut read: Vec<DomainValues<'_>> = Vec::new();
    let mut read_index: HashMap<&str, usize> = HashMap::new();
    let mut var_domain: Vec<usize> = Vec::with_capacity(variables.len());
    let mut vars = Vec::with_capacity(variables.len());
    let mut index: HashMap<&str, Var> = HashMap::with_capacity(variables.len());
    for &(name, dom, e) in &variables {
        let d = match read_index.get(dom) {
            Some(&d) => d,
            None => {
                let element = domains.get(dom).ok_or_else(|| ImportError::Unknown {
                    kind: "domain",
                    name: dom.to_string(),
                    at: doc.at(e).location(),
                })?;
                read.push(domain_values(&doc, dom, element)?);
                read_index.insert(dom, read.len() - 1);
                read.len() - 1
            }
        };
        let labels = &read[d].labels;
        budget.values(labels.len(), doc.at(e))?;
        // every variable has at least one value, so MAX_VALUES bounds their number below u32::MAX
        if index.insert(name, vars.len() as Var).is_some() {
            return Err(doc.malformed(
                e,
                Defect::Duplicate {
                    kind: "variable",
                    name: name.to_string(),
                },
            ));
        }
        vars.push(Variable {
            name: name.to_string(),
            values: labels.iter().map(|l| l.to_string()).collect(),
        });
        var_domain.push(d);
    }
    let lookup: Vec<&HashMap<&str, Val>> = var_domain.iter().map(|&d| &read[d].index).collect();
    let mut problem = Problem::new(vars);
    let mut split: HashMap<&str, Rows<'_>> = HashMap::new();
    for e in constraints {
        let at = doc.at(e);
        let name = e.attr("name").unwrap_or("constraint");
        let scope = scope_of(&doc, e, &index)?;
        let (rel_name, rel) = relation(&doc, &relations, e)?;
        let conflicts = match rel.attr("semantics").unwrap_or("supports") {
            "supports" => false,
            "conflicts" => true,
            other => {
                return Err(doc.malformed(
                    rel,
                    Defect::Semantics {
                        relation: rel_name.to_string(),
                        semantics: other.to_string(),
                        expected: "`supports` or `conflicts`",
                    },
                ));
            }
        };
        let rows = split
            .entry(rel_name)
            .or_insert_with(|| Rows::split(&rel.text, false));
        let mut tuples = Vec::with_capacity(rows.rows.len());
        for (_, values) in rows_for(&doc, rel_name, rel, rows, scope.len())? {
            budget.tuple(scope.len(), at)?;
            tuples.push(tuple(&problem, &lookup, &scope, values, name, doc.at(rel))?);
        }
        let tuples = if conflicts {
            complement(&problem, &scope, &tuples, &mut budget, at)?
        } else {
            tuples
        };
        problem.constraints.push(Constraint::Table {
            name: name.to_string(),
            scope,
            tuples,
        });
    }
    Ok(problem)
}

/// Allowed tuples of a `conflicts` relation: every combination of the scope but the listed ones.
fn complement(
    problem: &Problem,
    scope: &[Var],
    conflicts: &[Vec<Val>],
    budget: &mut Budget,
    at: Site<'_>,
) -> Result<Vec<Vec<Val>>, ImportError> {
    let size = scope
        .iter()
        .try_fold(1usize, |acc, &v| {
            acc.checked_mul(problem.domain(v))
                .filter(|&s| s <= MAX_CONFLICTS_SCOPE)
        })
        .ok_or_else(|| too_large(Quantity::ConflictsScope, MAX_CONFLICTS_SCOPE, at))?;
    let banned: HashSet<&[Val]> = conflicts.iter().map(Vec::as_slice).collect();
    let mut out = Vec::new();
    let mut t = vec![0 as Val; scope.len()];
    for mut i in 0..size {
        // size > 0 means every domain in the scope is non-empty
        for (k, &v) in scope.iter().enumerate().rev() {
            let d = problem.domain(v);
            t[k] = (i % d) as Val;
            i /= d;
        }
        if !banned.contains(t.as_slice()) {
            budget.tuple(scope.len(), at)?;
            out.push(t.clone());
        }
    }
    Ok(out)
}

fn cost(
    doc: &Document<'_>,
    rel_name: &str,
    rel: &Element<'_>,
    what: &'static str,
    text: &str,
) -> Result<i64, ImportError> {
    text.parse::<i64>().map_err(|_| {
        doc.malformed(
            rel,
            Defect::Number {
                what,
                text: text.to_string(),
                relation: rel_name.to_string(),
            },
        )
    })
}

/// Reads an XCSP 2.1 instance, and optionally its WCSP price file, as a product rule set with
/// the same valid configurations and prices (see [`crate::generate::to_rule_set`] for the
/// mapping: groups named after variables, options after values, tables as `table` rules,
/// prices as option prices and price tables).
pub fn import_rule_set(csp_xml: &str, prices_xml: Option<&str>) -> Result<RuleSet, ImportError> {
    let mut problem = import_csp(csp_xml)?;
    if let Some(prices) = prices_xml {
        import_prices(&mut problem, prices)?;
    }
    Ok(crate::generate::to_rule_set(&problem))
}

/// Adds the soft relations of a WCSP price file to `problem` (variables matched by name). A
/// unary relation with `defaultCost="0"` folds into the option prices. On error `problem` is
/// left as it was.
pub fn import_prices(problem: &mut Problem, src: &str) -> Result<(), ImportError> {
    let doc = Document::read(src)?;
    // the file's own domains and variables repeat the instance's; the problem's are used
    let mut relations = HashMap::new();
    let mut constraints = Vec::new();
    for e in &doc.elements {
        match e.kind {
            Kind::Relation => define(&doc, &mut relations, e)?,
            Kind::Constraint => constraints.push(e),
            Kind::Domain | Kind::Variable => {}
        }
    }
    let index: HashMap<&str, Var> = problem
        .vars
        .iter()
        .enumerate()
        .map(|(i, v)| (v.name.as_str(), i as Var))
        .collect();
    let labels: Vec<HashMap<&str, Val>> = problem
        .vars
        .iter()
        .map(|v| {
            let mut m = HashMap::with_capacity(v.values.len());
            for (i, l) in v.values.iter().enumerate() {
                m.entry(l.as_str()).or_insert(i as Val);
            }
            m
        })
        .collect();
    let lookup: Vec<&HashMap<&str, Val>> = labels.iter().collect();
    let mut budget = Budget {
        // an existing problem whose costs already overflow accepts no more
        cost: problem
            .cost_magnitude()
            .map_or(u64::MAX, |m| m.unsigned_abs()),
        ..Budget::default()
    };
    let mut split: HashMap<&str, Rows<'_>> = HashMap::new();
    let mut unary: HashMap<(Var, Val), i64> = HashMap::new();
    let mut added = Vec::new();
    for e in constraints {
        let at = doc.at(e);
        let name = e.attr("name").unwrap_or("price");
        let scope = scope_of(&doc, e, &index)?;
        let (rel_name, rel) = relation(&doc, &relations, e)?;
        let default = cost(
            &doc,
            rel_name,
            rel,
            "defaultCost",
            rel.attr("defaultCost").unwrap_or("0").trim(),
        )?;
        let rows = split
            .entry(rel_name)
            .or_insert_with(|| Rows::split(&rel.text, true));
        let mut costs = HashMap::new();
        let mut current = default;
        let mut largest = default.unsigned_abs();
        for (prefix, values) in rows_for(&doc, rel_name, rel, rows, scope.len())? {
            if let Some(c) = prefix {
                current = cost(&doc, rel_name, rel, "cost", c)?;
            }
            if values.is_empty() {
                continue;
            }
            budget.tuple(scope.len(), at)?;
            largest = largest.max(current.unsigned_abs());
            costs.insert(
                tuple(problem, &lookup, &scope, values, name, doc.at(rel))?,
                current,
            );
        }
        budget.cost(largest, at)?;
        if scope.len() == 1 && default == 0 {
            // unary price: folds into the option price
            for (k, c) in costs {
                let key = (scope[0], k[0]);
                let before = match unary.get(&key) {
                    Some(&p) => p,
                    None => problem.unary[key.0 as usize][key.1 as usize],
                };
                // the cost budget keeps every sum of largest costs within i64
                let sum = before.checked_add(c).ok_or_else(|| ImportError::TooLarge {
                    what: Quantity::Cost,
                    limit: i64::MAX as u64,
                    at: at.location(),
                })?;
                unary.insert(key, sum);
            }
            continue;
        }
        added.push(CostFn::Table {
            name: name.to_string(),
            scope,
            costs,
            default,
        });
    }
    for ((v, a), price) in unary {
        problem.unary[v as usize][a as usize] = price;
    }
    problem.costs.extend(added);
    Ok(())
}
