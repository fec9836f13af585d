//! The compact compiled form: it loads the same engine, and truncated, corrupted or hostile
//! bytes are errors, never panics or unbounded allocations.

mod support;

use std::collections::BTreeSet;

use configurator::rng::Rng;
use configurator::{Choices, CompactError, Configurator, RuleSet, import_rule_set};

fn bike() -> Configurator {
    let rules: RuleSet = serde_json::from_str(include_str!("../examples/bike.json")).unwrap();
    Configurator::compile(&rules).unwrap()
}

/// FNV-1a 64, the compact form's checksum (written out here from its documented layout).
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

const HEADER: usize = 28;

fn reseal(bytes: &mut [u8]) {
    let sum = fnv(&bytes[HEADER..]);
    bytes[20..28].copy_from_slice(&sum.to_le_bytes());
}

/// Every question the storefront asks, so a loaded engine that is wrong inside would panic here.
fn exercise(e: &Configurator) {
    let none = BTreeSet::new();
    let _ = e.count();
    let a = e.assess(&Choices::new(), &none).unwrap();
    let _ = e.cheapest_completion(&Choices::new(), &none, &[]);
    if let Some(g) = a.groups.first()
        && let Some(o) = g.options.first()
    {
        let chosen: Choices = [(g.group.clone(), o.option.clone())].into_iter().collect();
        let _ = e.assess(&chosen, &none);
    }
}

#[test]
fn the_compact_form_loads_the_same_engine() {
    let e = bike();
    let loaded = Configurator::from_bytes(&e.to_bytes()).expect("loads");
    assert_eq!(loaded.rules(), e.rules());
    assert_eq!(loaded.count(), e.count());
    assert_eq!(loaded.compiled().stats(), e.compiled().stats());
    let chosen: Choices = [("frame".to_string(), "carbon".to_string())].into();
    let none = BTreeSet::new();
    assert_eq!(loaded.assess(&chosen, &none), e.assess(&chosen, &none));
    assert_eq!(loaded.to_bytes(), e.to_bytes());
}

#[test]
fn medium_loads_from_its_compact_form() {
    let (Some(csp), Some(prices)) = (
        support::renault("medium.xml"),
        support::renault("mediumPrices.xml"),
    ) else {
        return;
    };
    let e = Configurator::compile(&import_rule_set(&csp, Some(&prices)).unwrap()).unwrap();
    let loaded = Configurator::from_bytes(&e.to_bytes()).expect("loads");
    assert_eq!(loaded.count().to_string(), "278744");
    assert_eq!(loaded.compiled().stats(), e.compiled().stats());
    let everything = vec![true; e.compiled().offsets().total()];
    assert_eq!(
        loaded.compiled().best_cost_per_value(&everything),
        e.compiled().best_cost_per_value(&everything)
    );
}

#[test]
fn every_truncation_and_every_flipped_byte_is_an_error() {
    let bytes = bike().to_bytes();
    for len in 0..bytes.len() {
        assert!(
            Configurator::from_bytes(&bytes[..len]).is_err(),
            "cut at {len}"
        );
    }
    for i in 0..bytes.len() {
        for bit in [0x01, 0x80] {
            let mut b = bytes.clone();
            b[i] ^= bit;
            assert!(Configurator::from_bytes(&b).is_err(), "byte {i} ^ {bit:#x}");
        }
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(Configurator::from_bytes(&longer).is_err());
    assert_eq!(
        Configurator::from_bytes(b"{\"version\":1}").unwrap_err(),
        CompactError::NotCompact
    );
}

/// With the checksum recomputed, corruption reaches the structural checks: the load fails or
/// gives an engine that answers every question without panicking.
#[test]
fn resealed_corruption_never_panics() {
    let bytes = bike().to_bytes();
    let json_len = u64::from_le_bytes(bytes[HEADER..HEADER + 8].try_into().unwrap()) as usize;
    // half the cases hit the diagram, after the rule set's JSON
    let diagram = HEADER + 8 + json_len;
    let mut rng = Rng::new(17);
    let (mut loaded, mut refused) = (0, 0);
    for case in 0..20_000 {
        let mut b = bytes.clone();
        for _ in 0..1 + rng.below(3) {
            let from = if case % 4 < 2 { diagram } else { HEADER };
            let i = from + rng.below(b.len() - from);
            b[i] = if case % 2 == 0 {
                b[i] ^ (1 << rng.below(8))
            } else {
                rng.below(256) as u8
            };
        }
        if rng.chance(0.1) {
            let cut = HEADER + rng.below(b.len() - HEADER);
            b.truncate(cut);
            let len = (b.len() - HEADER) as u64;
            b[12..20].copy_from_slice(&len.to_le_bytes());
        }
        reseal(&mut b);
        match Configurator::from_bytes(&b) {
            Ok(e) => {
                exercise(&e);
                loaded += 1;
            }
            Err(_) => refused += 1,
        }
    }
    println!("resealed corruption: {loaded} loaded, {refused} refused");
    assert!(refused > 1_000);
}

/// A count claiming billions of items is refused before anything is allocated.
#[test]
fn a_huge_count_is_refused_without_allocating() {
    let e = bike();
    let bytes = e.to_bytes();
    let json_len = u64::from_le_bytes(bytes[HEADER..HEADER + 8].try_into().unwrap()) as usize;
    // the first array's count follows the JSON and the satisfiable flag
    let at = HEADER + 8 + json_len + 1;
    let mut b = bytes[..at].to_vec();
    b.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]); // 2^32 - 1 node variables
    b.extend_from_slice(&bytes[at + 1..]);
    let len = (b.len() - HEADER) as u64;
    b[12..20].copy_from_slice(&len.to_le_bytes());
    reseal(&mut b);
    assert_eq!(
        Configurator::from_bytes(&b).unwrap_err(),
        CompactError::Truncated
    );
}
