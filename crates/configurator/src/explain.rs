//! Minimal conflicts (QuickXplain) and smallest repairs, generic over what is being relaxed
//! (the buyer's choices, or the rules of a rule set).

/// A minimal subset of `items` that is still inconsistent (together with whatever background
/// `inconsistent` adds), or `None` when all of `items` together are consistent.
///
/// Junker's QuickXplain: O(k·log(n/k)) consistency checks for a conflict of size k.
pub fn quickxplain<T: Clone>(
    items: &[T],
    inconsistent: &mut dyn FnMut(&[T]) -> bool,
) -> Option<Vec<T>> {
    if !inconsistent(items) {
        return None;
    }
    if inconsistent(&[]) {
        return Some(Vec::new());
    }
    let mut background = Vec::new();
    Some(qx(&mut background, false, items, inconsistent))
}

fn qx<T: Clone>(
    background: &mut Vec<T>,
    has_delta: bool,
    items: &[T],
    inconsistent: &mut dyn FnMut(&[T]) -> bool,
) -> Vec<T> {
    if has_delta && inconsistent(background) {
        return Vec::new();
    }
    if items.len() == 1 {
        return items.to_vec();
    }
    let (c1, c2) = items.split_at(items.len() / 2);
    let base = background.len();
    background.extend_from_slice(c1);
    let d2 = qx(background, !c1.is_empty(), c2, inconsistent);
    background.truncate(base);
    background.extend_from_slice(&d2);
    let d1 = qx(background, !d2.is_empty(), c1, inconsistent);
    background.truncate(base);
    let mut out = d1;
    out.extend(d2);
    out
}

/// The smallest set of item indices whose removal makes `consistent` true, by increasing size;
/// after `max_checks` checks it falls back to removing minimal conflicts one at a time (still a
/// valid, possibly larger, repair). `None` when even removing everything does not help.
pub fn smallest_repair(
    n: usize,
    consistent: &mut dyn FnMut(&[bool]) -> bool,
    max_checks: usize,
) -> Option<Vec<usize>> {
    let mut keep = vec![true; n];
    if consistent(&keep) {
        return Some(Vec::new());
    }
    if !consistent(&vec![false; n]) {
        return None;
    }
    let mut checks = 2;
    for size in 1..n {
        let mut combo: Vec<usize> = (0..size).collect();
        loop {
            if checks >= max_checks {
                return Some(greedy(n, consistent));
            }
            keep.iter_mut().for_each(|k| *k = true);
            combo.iter().for_each(|&i| keep[i] = false);
            checks += 1;
            if consistent(&keep) {
                return Some(combo);
            }
            // next combination in lexicographic order
            let mut i = size;
            while i > 0 && combo[i - 1] == n - size + i - 1 {
                i -= 1;
            }
            if i == 0 {
                break;
            }
            combo[i - 1] += 1;
            for j in i..size {
                combo[j] = combo[j - 1] + 1;
            }
        }
    }
    Some((0..n).collect())
}

fn greedy(n: usize, consistent: &mut dyn FnMut(&[bool]) -> bool) -> Vec<usize> {
    let mut keep = vec![true; n];
    let mut dropped = Vec::new();
    while !consistent(&keep) {
        let kept: Vec<usize> = (0..n).filter(|&i| keep[i]).collect();
        let conflict = quickxplain(&kept, &mut |sub: &[usize]| {
            let mut k = vec![false; n];
            sub.iter().for_each(|&i| k[i] = true);
            !consistent(&k)
        });
        match conflict.and_then(|c| c.first().copied()) {
            Some(i) => {
                keep[i] = false;
                dropped.push(i);
            }
            None => break,
        }
    }
    dropped.sort_unstable();
    dropped
}
