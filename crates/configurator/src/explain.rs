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
    smallest_repair_hitting(n, &[], consistent, max_checks)
}

/// [`smallest_repair`] told a conflict: item indices that together are inconsistent (with
/// whatever background `consistent` adds), so a repair must remove one of them. Removals that
/// keep the whole conflict are not checked, but still count towards `max_checks`, so the
/// result is exactly `smallest_repair`'s, for fewer consistency checks. Empty: none known.
pub fn smallest_repair_hitting(
    n: usize,
    conflict: &[usize],
    consistent: &mut dyn FnMut(&[bool]) -> bool,
    max_checks: usize,
) -> Option<Vec<usize>> {
    let mut in_conflict = vec![false; n];
    conflict.iter().for_each(|&i| in_conflict[i] = true);
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
            checks += 1;
            // a removal that keeps a whole known conflict cannot be a repair
            if conflict.is_empty() || combo.iter().any(|&i| in_conflict[i]) {
                keep.iter_mut().for_each(|k| *k = true);
                combo.iter().for_each(|&i| keep[i] = false);
                if consistent(&keep) {
                    return Some(combo);
                }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// Told a conflict, the repair search answers exactly as without it, also when the check
    /// limit sends both to the greedy fallback.
    #[test]
    fn a_known_conflict_changes_no_repair() {
        let mut rng = Rng::new(9);
        let mut pruned = 0;
        for _ in 0..3_000 {
            let n = 1 + rng.below(12);
            // inconsistent while the kept items contain one of these sets entirely
            let nogoods: Vec<Vec<usize>> = (0..1 + rng.below(4))
                .map(|_| (0..n).filter(|_| rng.chance(0.25)).collect())
                .collect();
            let mut consistent =
                |keep: &[bool]| !nogoods.iter().any(|g| g.iter().all(|&i| keep[i]));
            let max_checks = [5, 20, 2_000][rng.below(3)];
            let all: Vec<usize> = (0..n).collect();
            let conflict = quickxplain(&all, &mut |sub: &[usize]| {
                let mut keep = vec![false; n];
                sub.iter().for_each(|&i| keep[i] = true);
                !consistent(&keep)
            })
            .unwrap_or_default();
            let plain = smallest_repair(n, &mut consistent, max_checks);
            let told = smallest_repair_hitting(n, &conflict, &mut consistent, max_checks);
            assert_eq!(told, plain, "nogoods {nogoods:?}, conflict {conflict:?}");
            pruned += usize::from(!conflict.is_empty() && conflict.len() < n);
        }
        assert!(
            pruned > 500,
            "too few cases with a conflict to prune by: {pruned}"
        );
    }
}
