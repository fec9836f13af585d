//! Compilation of a [`Problem`] into an AND/OR decision diagram, and the passes over it.
//!
//! Why this shape: a decision diagram over one variable order blows up on the large car-range
//! rule sets, but their constraint graphs have small tree-width. We order variables with min-fill,
//! take the resulting pseudo tree (every constraint's scope lies on one root-to-leaf chain) and
//! search it depth first, caching each sub-problem by the values of its *context* (the ancestors
//! it is connected to). Independent sub-trees become AND branches, and isomorphic nodes are
//! shared. Every question the shop asks (which options still lead to a valid configuration,
//! how many configurations, lowest / highest price) is then one or two linear passes over it.

// Nodes and arcs live in parallel arrays (struct of arrays), so loops run over index ranges.
#![allow(clippy::needless_range_loop)]

use std::collections::HashMap;

use num_bigint::BigUint;

use crate::problem::{Constraint, Offsets, Problem, Val, Var};

const NONE: u32 = u32::MAX;

/// Pseudo tree from a min-fill elimination order.
#[derive(Debug, Clone)]
pub struct PseudoTree {
    pub parent: Vec<Option<Var>>,
    pub children: Vec<Vec<Var>>,
    pub roots: Vec<Var>,
    /// Ancestors each sub-problem depends on (its cache key).
    pub context: Vec<Vec<Var>>,
    pub depth: Vec<u32>,
    /// Variables in depth-first pre-order.
    pub preorder: Vec<Var>,
}

impl PseudoTree {
    /// The pseudo tree of the min-fill elimination order of the constraint graph (ties broken
    /// by fewer neighbours, then smaller domain, then lower index).
    pub fn build(n: usize, scopes: &[Vec<Var>], domains: &[usize]) -> PseudoTree {
        let (order, neighbours_at_elim) = min_fill(n, scopes, domains);
        PseudoTree::from_elimination(n, &order, &neighbours_at_elim)
    }

    /// The tree of an elimination order: each variable's parent is the first-eliminated of the
    /// neighbours it had when it was eliminated; those neighbours are its context.
    fn from_elimination(
        n: usize,
        order: &[usize],
        neighbours_at_elim: &[Vec<usize>],
    ) -> PseudoTree {
        let mut pos = vec![0usize; n];
        for (i, &x) in order.iter().enumerate() {
            pos[x] = i;
        }
        let mut parent = vec![None; n];
        let mut children = vec![Vec::new(); n];
        let mut roots = Vec::new();
        for &x in order {
            match neighbours_at_elim[x].iter().min_by_key(|&&a| pos[a]) {
                Some(&p) => {
                    parent[x] = Some(p as Var);
                    children[p].push(x as Var);
                }
                None => roots.push(x as Var),
            }
        }
        let mut depth = vec![0u32; n];
        for &x in order.iter().rev() {
            if let Some(p) = parent[x] {
                depth[x] = depth[p as usize] + 1;
            }
        }
        let context = (0..n)
            .map(|x| {
                let mut c: Vec<Var> = neighbours_at_elim[x].iter().map(|&a| a as Var).collect();
                c.sort_by_key(|&a| depth[a as usize]);
                c
            })
            .collect();
        let mut preorder = Vec::with_capacity(n);
        let mut stack: Vec<Var> = roots.iter().rev().copied().collect();
        while let Some(x) = stack.pop() {
            preorder.push(x);
            stack.extend(children[x as usize].iter().rev());
        }
        PseudoTree {
            parent,
            children,
            roots,
            context,
            depth,
            preorder,
        }
    }
}

/// Min-fill elimination order, and each variable's neighbours when it is eliminated.
///
/// Sparse on purpose: adjacency lists plus, per variable, the number of edges among its
/// neighbours (so its fill is `deg·(deg−1)/2 − links`), both updated as fill-in edges are added
/// and variables removed, and a priority queue of (fill, degree, domain, index). The work is
/// proportional to the edges touched rather than to n² per step: a 50,000-group chain takes
/// milliseconds where a bit-matrix scan of every candidate would take hours.
fn min_fill(n: usize, scopes: &[Vec<Var>], domains: &[usize]) -> (Vec<usize>, Vec<Vec<usize>>) {
    let mut adj: Vec<Vec<usize>> = vec![Vec::new(); n];
    for s in scopes {
        for &a in s {
            for &b in s {
                if a != b {
                    adj[a as usize].push(b as usize);
                }
            }
        }
    }
    for list in &mut adj {
        list.sort_unstable();
        list.dedup();
    }
    // links[v]: edges among v's neighbours (each triangle counted once at each corner)
    let mut links = vec![0u64; n];
    for a in 0..n {
        for &b in &adj[a] {
            if a < b {
                for c in common(&adj[a], &adj[b]) {
                    links[c] += 1;
                }
            }
        }
    }
    let key = |v: usize, adj: &[Vec<usize>], links: &[u64]| {
        let deg = adj[v].len() as u64;
        (
            deg * deg.saturating_sub(1) / 2 - links[v],
            adj[v].len(),
            domains[v],
            v,
        )
    };
    let mut keys: Vec<(u64, usize, usize, usize)> = (0..n).map(|v| key(v, &adj, &links)).collect();
    let mut queue: std::collections::BTreeSet<(u64, usize, usize, usize)> =
        keys.iter().copied().collect();
    let mut order = Vec::with_capacity(n);
    let mut neighbours_at_elim: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut touched: Vec<usize> = Vec::new();
    let mut stamp = vec![usize::MAX; n];
    while let Some((_, _, _, x)) = queue.pop_first() {
        let nb = std::mem::take(&mut adj[x]);
        touched.clear();
        let mut touch = |v: usize, touched: &mut Vec<usize>| {
            if v != x && stamp[v] != x {
                stamp[v] = x;
                touched.push(v);
            }
        };
        // fill-in: the neighbours become a clique
        for i in 0..nb.len() {
            for j in i + 1..nb.len() {
                let (a, b) = (nb[i], nb[j]);
                if adj[a].binary_search(&b).is_ok() {
                    continue;
                }
                let shared = common(&adj[a], &adj[b]);
                for &c in &shared {
                    links[c] += 1;
                    touch(c, &mut touched);
                }
                links[a] += shared.len() as u64;
                links[b] += shared.len() as u64;
                if let Err(p) = adj[a].binary_search(&b) {
                    adj[a].insert(p, b);
                }
                if let Err(p) = adj[b].binary_search(&a) {
                    adj[b].insert(p, a);
                }
            }
        }
        // removal: each neighbour loses x and the edges from x to the rest of the clique
        for &y in &nb {
            if let Ok(p) = adj[y].binary_search(&x) {
                adj[y].remove(p);
            }
            links[y] -= nb.len() as u64 - 1;
            touch(y, &mut touched);
        }
        for &v in &touched {
            queue.remove(&keys[v]);
            keys[v] = key(v, &adj, &links);
            queue.insert(keys[v]);
        }
        neighbours_at_elim[x] = nb;
        order.push(x);
    }
    (order, neighbours_at_elim)
}

/// Members of both sorted lists (the shorter one is walked, the longer one searched).
fn common(a: &[usize], b: &[usize]) -> Vec<usize> {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short
        .iter()
        .copied()
        .filter(|v| long.binary_search(v).is_ok())
        .collect()
}

/// Allowed tuples of a table in depth order, as a trie, so a partial assignment down the chain is
/// checked one level at a time.
#[derive(Debug, Clone)]
struct Trie {
    start: Vec<u32>,
    vals: Vec<Val>,
    child: Vec<u32>,
}

impl Trie {
    fn build(mut tuples: Vec<Vec<Val>>) -> Trie {
        tuples.sort_unstable();
        tuples.dedup();
        let arity = tuples.first().map_or(0, |t| t.len());
        let mut trie = Trie {
            start: Vec::new(),
            vals: Vec::new(),
            child: Vec::new(),
        };
        let mut queue = std::collections::VecDeque::new();
        queue.push_back((0usize, tuples.len(), 0usize));
        let mut next = 1u32;
        while let Some((lo, hi, k)) = queue.pop_front() {
            trie.start.push(trie.vals.len() as u32);
            if k == arity {
                continue;
            }
            let mut i = lo;
            while i < hi {
                let v = tuples[i][k];
                let mut j = i;
                while j < hi && tuples[j][k] == v {
                    j += 1;
                }
                trie.vals.push(v);
                trie.child.push(next);
                next += 1;
                queue.push_back((i, j, k + 1));
                i = j;
            }
        }
        trie.start.push(trie.vals.len() as u32);
        trie
    }

    #[inline]
    fn child(&self, node: u32, v: Val) -> Option<u32> {
        let lo = self.start[node as usize] as usize;
        let hi = self.start[node as usize + 1] as usize;
        let vals = &self.vals[lo..hi];
        let i = if vals.len() <= 8 {
            vals.iter().position(|&x| x == v)?
        } else {
            vals.binary_search(&v).ok()?
        };
        Some(self.child[lo + i])
    }
}

#[derive(Debug, Clone, Copy)]
struct Check {
    constraint: u32,
    /// Position of the variable in the constraint's depth-ordered scope.
    pos: u32,
    last: bool,
}

/// The static parts a search needs: pseudo tree, tries, per-variable checks.
#[derive(Debug, Clone)]
struct Engine {
    tree: PseudoTree,
    tries: Vec<Option<Trie>>,
    cursor_base: Vec<usize>,
    cursor_len: usize,
    checks_at: Vec<Vec<Check>>,
    costs_at: Vec<Vec<u32>>,
}

impl Engine {
    /// For every variable, which positions of its context an active constraint links to its
    /// sub-tree: the sub-problem below `x` depends on an ancestor's value only through a
    /// constraint whose scope holds that ancestor and a variable of the sub-tree. With a few
    /// rules active (as when QuickXplain narrows down the responsible rules) most of the
    /// context is irrelevant, and keying the cache by all of it makes the search revisit the
    /// same sub-problem once per combination of irrelevant values.
    fn active_context(&self, problem: &Problem, active: &[bool]) -> Vec<Vec<bool>> {
        let tree = &self.tree;
        let mut mask: Vec<Vec<bool>> = tree.context.iter().map(|c| vec![false; c.len()]).collect();
        for (c, _) in problem.constraints.iter().zip(active).filter(|(_, a)| **a) {
            let scope = c.scope();
            let depth = |v: Var| tree.depth[v as usize];
            let (Some(deepest), Some(top)) = (
                scope.iter().copied().max_by_key(|&v| depth(v)),
                scope.iter().map(|&v| depth(v)).min(),
            ) else {
                continue;
            };
            // the scope lies on one root-to-leaf chain: the sub-trees it reaches are those of
            // the chain's variables from its deepest one up to its shallowest
            let mut x = Some(deepest);
            while let Some(v) = x.filter(|&v| depth(v) > top) {
                for (i, y) in tree.context[v as usize].iter().enumerate() {
                    if scope.contains(y) {
                        mask[v as usize][i] = true;
                    }
                }
                x = tree.parent[v as usize];
            }
        }
        mask
    }

    fn new(problem: &Problem) -> Engine {
        let n = problem.vars.len();
        let mut scopes: Vec<Vec<Var>> = problem.constraints.iter().map(|c| c.scope()).collect();
        scopes.extend(problem.costs.iter().map(|c| c.scope().to_vec()));
        let domains: Vec<usize> = (0..n).map(|v| problem.domain(v as Var)).collect();
        let tree = PseudoTree::build(n, &scopes, &domains);
        let by_depth = |s: &[Var]| -> Vec<Var> {
            let mut s = s.to_vec();
            s.sort_by_key(|&v| tree.depth[v as usize]);
            s
        };
        let mut tries = Vec::with_capacity(problem.constraints.len());
        let mut cursor_base = Vec::new();
        let mut cursor_len = 0;
        let mut checks_at = vec![Vec::new(); n];
        for (ci, c) in problem.constraints.iter().enumerate() {
            let ordered = by_depth(&c.scope());
            cursor_base.push(cursor_len);
            cursor_len += ordered.len();
            for (k, &v) in ordered.iter().enumerate() {
                checks_at[v as usize].push(Check {
                    constraint: ci as u32,
                    pos: k as u32,
                    last: k + 1 == ordered.len(),
                });
            }
            tries.push(match c {
                Constraint::Table { scope, tuples, .. } => {
                    // positions of the depth-ordered scope in the file scope; a variable named
                    // twice keeps only tuples that agree on it
                    let idx: Vec<usize> = ordered
                        .iter()
                        .map(|v| scope.iter().position(|s| s == v).unwrap_or(0))
                        .collect();
                    let rows = tuples
                        .iter()
                        .filter(|t| {
                            scope.iter().enumerate().all(|(i, v)| {
                                t[i] == t[scope.iter().position(|s| s == v).unwrap_or(i)]
                            })
                        })
                        .map(|t| idx.iter().map(|&i| t[i]).collect())
                        .collect();
                    Some(Trie::build(rows))
                }
                _ => None,
            });
        }
        let mut costs_at = vec![Vec::new(); n];
        for (fi, f) in problem.costs.iter().enumerate() {
            if let Some(&deepest) = f.scope().iter().max_by_key(|&&v| tree.depth[v as usize]) {
                costs_at[deepest as usize].push(fi as u32);
            }
        }
        Engine {
            tree,
            tries,
            cursor_base,
            cursor_len,
            checks_at,
            costs_at,
        }
    }
}

/// Depth-first AND/OR search state.
struct Search<'a> {
    problem: &'a Problem,
    engine: &'a Engine,
    offsets: &'a Offsets,
    assign: Vec<Val>,
    cursor: Vec<u32>,
    allowed: Option<&'a [bool]>,
    active: Option<&'a [bool]>,
    /// Per variable, which of its context's positions its sub-problem depends on through the
    /// active constraints (the others are left out of the cache key); `None`: all of them.
    key_mask: Option<Vec<Vec<bool>>>,
    /// Value assignments the search may still try; at zero it stops (`exhausted`).
    steps_left: u64,
    exhausted: bool,
}

impl Search<'_> {
    /// Assigns `x = v` and checks every active constraint that this completes or extends.
    #[inline]
    fn assign(&mut self, x: Var, v: Val) -> bool {
        if let Some(allowed) = self.allowed
            && !allowed[self.offsets.at(x, v)]
        {
            return false;
        }
        self.assign[x as usize] = v;
        for ck in &self.engine.checks_at[x as usize] {
            let c = ck.constraint as usize;
            if let Some(active) = self.active
                && !active[c]
            {
                continue;
            }
            match &self.engine.tries[c] {
                Some(trie) => {
                    let base = self.engine.cursor_base[c];
                    let parent = if ck.pos == 0 {
                        0
                    } else {
                        self.cursor[base + ck.pos as usize - 1]
                    };
                    match trie.child(parent, v) {
                        Some(next) => self.cursor[base + ck.pos as usize] = next,
                        None => return false,
                    }
                }
                None => {
                    if ck.last {
                        let a = &self.assign;
                        if !self.problem.constraints[c].holds(&|y| a[y as usize]) {
                            return false;
                        }
                    }
                }
            }
        }
        true
    }

    fn key(&self, x: Var) -> Vec<Val> {
        let context = self.engine.tree.context[x as usize].iter();
        match &self.key_mask {
            None => context.map(|&c| self.assign[c as usize]).collect(),
            // an ancestor no active constraint links to x's sub-tree does not change its answer
            Some(mask) => context
                .zip(&mask[x as usize])
                .map(|(&c, &matters)| if matters { self.assign[c as usize] } else { 0 })
                .collect(),
        }
    }

    /// The next value of `x`, from `*next` on, that passes the checks (and is then assigned).
    fn next_value(&mut self, x: Var, next: &mut Val) -> Option<Val> {
        let d = self.problem.domain(x) as Val;
        while *next < d {
            if self.steps_left == 0 {
                // no value is tried any more: every open frame closes and the search unwinds
                self.exhausted = true;
                return None;
            }
            self.steps_left -= 1;
            let v = *next;
            *next += 1;
            if self.assign(x, v) {
                return Some(v);
            }
        }
        None
    }

    /// Weight of the arc `x = v` under the current assignment of x's ancestors.
    fn weight(&self, x: Var, v: Val) -> i64 {
        let a = &self.assign;
        self.problem.unary[x as usize][v as usize]
            + self.engine.costs_at[x as usize]
                .iter()
                .map(|&f| self.problem.costs[f as usize].cost(&|y| a[y as usize]))
                .sum::<i64>()
    }

    /// The sub-diagram of `root`'s sub-tree (or `NONE` when it has no valid configuration),
    /// depth first over the pseudo tree with every sub-problem cached by its context.
    ///
    /// The depth first search runs on an explicit stack of frames rather than by recursion: the
    /// pseudo tree is as deep as the longest chain of rules (50,000 groups deep in the depth
    /// test), far beyond what a thread's or wasm's stack holds.
    fn build(&mut self, root: Var, cache: &mut [HashMap<Vec<Val>, u32>], out: &mut Builder) -> u32 {
        let mut stack = match self.open(root, cache, BuildFrame::new) {
            Ok(cached) => return cached,
            Err(frame) => vec![frame],
        };
        // the result of the frame just closed, for the frame below it
        let mut closed: Option<u32> = None;
        while let Some(f) = stack.last_mut() {
            if let Some(r) = closed.take() {
                if r == NONE {
                    // a child has no valid configuration under this value: drop the value
                    f.value = None;
                    f.kids.clear();
                } else {
                    f.kids.push(r);
                }
            }
            let x = f.x;
            if let Some(v) = f.value {
                if let Some(&y) = self.engine.tree.children[x as usize].get(f.kids.len()) {
                    match self.open(y, cache, BuildFrame::new) {
                        Ok(cached) => closed = Some(cached),
                        Err(frame) => stack.push(frame),
                    }
                    continue;
                }
                // every child has a sub-diagram: the arc is complete
                let w = self.weight(x, v);
                let kids = std::mem::take(&mut f.kids);
                f.arcs.push((v, w, kids));
                f.value = None;
            }
            f.value = self.next_value(x, &mut f.next);
            if f.value.is_none() {
                let Some(f) = stack.pop() else { break };
                let r = if f.arcs.is_empty() {
                    NONE
                } else {
                    out.node(x, &f.arcs)
                };
                cache[x as usize].insert(f.key, r);
                closed = Some(r);
            }
        }
        closed.unwrap_or(NONE)
    }

    /// `x`'s cached answer under the current context, or a new frame to work it out.
    fn open<R: Copy, F>(
        &self,
        x: Var,
        cache: &[HashMap<Vec<Val>, R>],
        frame: impl FnOnce(Var, Vec<Val>) -> F,
    ) -> Result<R, F> {
        let key = self.key(x);
        match cache[x as usize].get(&key) {
            Some(&r) => Ok(r),
            None => Err(frame(x, key)),
        }
    }

    /// Does `root`'s sub-tree have a valid configuration? The same cached depth-first search as
    /// [`Search::build`] (and on an explicit stack for the same reason), stopping at the first
    /// value whose children all succeed.
    fn satisfiable(&mut self, root: Var, cache: &mut [HashMap<Vec<Val>, bool>]) -> bool {
        let mut stack = match self.open(root, cache, ProbeFrame::new) {
            Ok(cached) => return cached,
            Err(frame) => vec![frame],
        };
        let mut closed: Option<bool> = None;
        while let Some(f) = stack.last_mut() {
            if let Some(ok) = closed.take() {
                if ok {
                    f.child += 1;
                } else {
                    f.extending = false;
                }
            }
            let x = f.x;
            let mut found = false;
            if f.extending {
                if let Some(&y) = self.engine.tree.children[x as usize].get(f.child) {
                    match self.open(y, cache, ProbeFrame::new) {
                        Ok(cached) => closed = Some(cached),
                        Err(frame) => stack.push(frame),
                    }
                    continue;
                }
                found = true;
            } else if self.next_value(x, &mut f.next).is_some() {
                f.extending = true;
                f.child = 0;
                continue;
            }
            let Some(f) = stack.pop() else { break };
            cache[x as usize].insert(f.key, found);
            closed = Some(found);
        }
        closed.unwrap_or(false)
    }
}

/// A variable's sub-problem on the diagram search's stack.
struct BuildFrame {
    x: Var,
    /// Its context's values (the cache key).
    key: Vec<Val>,
    /// The next value of `x` to try.
    next: Val,
    /// The value being extended, with the sub-diagrams of its first children.
    value: Option<Val>,
    kids: Vec<u32>,
    /// Completed arcs: value, weight, one sub-diagram per child.
    arcs: Vec<(Val, i64, Vec<u32>)>,
}

impl BuildFrame {
    fn new(x: Var, key: Vec<Val>) -> BuildFrame {
        BuildFrame {
            x,
            key,
            next: 0,
            value: None,
            kids: Vec::new(),
            arcs: Vec::new(),
        }
    }
}

/// A variable's sub-problem on the satisfiability search's stack.
struct ProbeFrame {
    x: Var,
    key: Vec<Val>,
    next: Val,
    /// A value is assigned and its children are being checked, `child` first.
    extending: bool,
    child: usize,
}

impl ProbeFrame {
    fn new(x: Var, key: Vec<Val>) -> ProbeFrame {
        ProbeFrame {
            x,
            key,
            next: 0,
            extending: false,
            child: 0,
        }
    }
}

/// Collects unique nodes (hash-consing) in children-first order.
#[derive(Default)]
struct Builder {
    node_var: Vec<u32>,
    node_arcs: Vec<u32>,
    arc_val: Vec<Val>,
    arc_w: Vec<i64>,
    arc_kids: Vec<u32>,
    kids: Vec<u32>,
    unique: HashMap<Vec<u64>, u32>,
}

impl Builder {
    fn node(&mut self, x: Var, arcs: &[(Val, i64, Vec<u32>)]) -> u32 {
        let mut key = Vec::with_capacity(1 + arcs.len() * 3);
        key.push(x as u64);
        for (v, w, kids) in arcs {
            key.push(((*v as u64) << 32) | kids.len() as u64);
            key.push(*w as u64);
            key.extend(kids.iter().map(|&k| k as u64));
        }
        if let Some(&id) = self.unique.get(&key) {
            return id;
        }
        let id = self.node_var.len() as u32;
        self.node_var.push(x);
        self.node_arcs.push(self.arc_val.len() as u32);
        for (v, w, kids) in arcs {
            self.arc_val.push(*v);
            self.arc_w.push(*w);
            self.arc_kids.push(self.kids.len() as u32);
            self.kids.extend_from_slice(kids);
        }
        self.unique.insert(key, id);
        id
    }
}

/// The diagram's arrays, borrowed (see [`Compiled`] for their meaning).
pub(crate) struct Diagram<'a> {
    pub node_var: &'a [u32],
    pub node_arcs: &'a [u32],
    pub arc_val: &'a [Val],
    pub arc_w: &'a [i64],
    pub arc_kids: &'a [u32],
    pub kids: &'a [u32],
    pub roots: &'a [u32],
    pub satisfiable: bool,
}

/// The diagram's arrays, read back.
pub(crate) struct OwnedDiagram {
    pub node_var: Vec<u32>,
    pub node_arcs: Vec<u32>,
    pub arc_val: Vec<Val>,
    pub arc_w: Vec<i64>,
    pub arc_kids: Vec<u32>,
    pub kids: Vec<u32>,
    pub roots: Vec<u32>,
    pub satisfiable: bool,
}

/// Compiling stopped at its step limit (see [`Compiled::with_step_limit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("compiling needs more than {limit} search steps")]
pub struct TooComplex {
    pub limit: u64,
}

/// Which options still extend to a valid configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Supports {
    pub consistent: bool,
    /// Indexed by `Offsets::at(var, value)`.
    pub flat: Vec<bool>,
}

/// Size figures of a compiled diagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct DiagramStats {
    pub nodes: usize,
    pub arcs: usize,
    pub edges: usize,
    pub max_context: usize,
    pub tree_depth: usize,
}

/// A problem compiled into an AND/OR decision diagram (immutable, `Send + Sync`).
#[derive(Debug, Clone)]
pub struct Compiled {
    pub(crate) problem: Problem,
    pub(crate) offsets: Offsets,
    engine: Engine,
    pub(crate) node_var: Vec<u32>,
    /// `node_arcs[n]..node_arcs[n + 1]` are node n's arcs (one extra entry at the end).
    pub(crate) node_arcs: Vec<u32>,
    pub(crate) arc_val: Vec<Val>,
    pub(crate) arc_flat: Vec<u32>,
    pub(crate) arc_w: Vec<i64>,
    pub(crate) arc_kids: Vec<u32>,
    pub(crate) kids: Vec<u32>,
    pub(crate) roots: Vec<u32>,
    pub(crate) satisfiable: bool,
}

impl Compiled {
    /// Compiles a problem, however long its search takes (for trusted problems: the benchmark
    /// instances, generated ones).
    pub fn new(problem: Problem) -> Compiled {
        match Compiled::with_step_limit(problem, u64::MAX) {
            Ok(c) => c,
            // at a billion steps a second that limit is centuries away
            Err(e) => unreachable!("{e}"),
        }
    }

    /// Compiles a problem unless its search tries more than `max_steps` value assignments. The
    /// search is exponential in the width of the rule structure (a capacity rule over many
    /// groups is one whole-width rule), so rule sets from outside are compiled with a limit
    /// that bounds their time.
    pub fn with_step_limit(problem: Problem, max_steps: u64) -> Result<Compiled, TooComplex> {
        let engine = Engine::new(&problem);
        let offsets = Offsets::of(&problem);
        let n = problem.vars.len();
        let mut builder = Builder::default();
        let mut roots = Vec::new();
        let mut satisfiable = true;
        {
            let mut search = Search {
                problem: &problem,
                engine: &engine,
                offsets: &offsets,
                assign: vec![0; n],
                cursor: vec![0; engine.cursor_len],
                allowed: None,
                active: None,
                key_mask: None,
                steps_left: max_steps,
                exhausted: false,
            };
            let mut cache = vec![HashMap::new(); n];
            for &r in &engine.tree.roots {
                let id = search.build(r, &mut cache, &mut builder);
                if search.exhausted {
                    return Err(TooComplex { limit: max_steps });
                }
                if id == NONE {
                    satisfiable = false;
                    break;
                }
                roots.push(id);
            }
        }
        if !satisfiable {
            roots.clear();
        }
        let Builder {
            node_var,
            mut node_arcs,
            arc_val,
            arc_w,
            mut arc_kids,
            kids,
            ..
        } = builder;
        node_arcs.push(arc_val.len() as u32);
        arc_kids.push(kids.len() as u32);
        let mut arc_flat = Vec::with_capacity(arc_val.len());
        for (nd, &x) in node_var.iter().enumerate() {
            for a in node_arcs[nd]..node_arcs[nd + 1] {
                arc_flat.push(offsets.at(x, arc_val[a as usize]) as u32);
            }
        }
        Ok(Compiled {
            problem,
            offsets,
            engine,
            node_var,
            node_arcs,
            arc_val,
            arc_flat,
            arc_w,
            arc_kids,
            kids,
            roots,
            satisfiable,
        })
    }

    /// The diagram's arrays, for the compact form (`crate::compact`).
    pub(crate) fn diagram(&self) -> Diagram<'_> {
        Diagram {
            node_var: &self.node_var,
            node_arcs: &self.node_arcs,
            arc_val: &self.arc_val,
            arc_w: &self.arc_w,
            arc_kids: &self.arc_kids,
            kids: &self.kids,
            roots: &self.roots,
            satisfiable: self.satisfiable,
        }
    }

    /// A compiled problem from a diagram read back from the compact form, without the search.
    /// The arrays come from outside, so everything every pass relies on is checked: indices in
    /// range, children before their parents, one root per pseudo-tree root, and weights whose
    /// sums along any configuration stay within the problem's own cost bound (so no pass can
    /// overflow). A diagram that passes these checks cannot make a pass panic; that it is the
    /// diagram of this problem is what the compact form's checksum vouches for.
    pub(crate) fn from_diagram(
        problem: Problem,
        d: OwnedDiagram,
    ) -> Result<Compiled, &'static str> {
        let engine = Engine::new(&problem);
        let offsets = Offsets::of(&problem);
        let (nodes, arcs) = (d.node_var.len(), d.arc_val.len());
        let bound = problem
            .cost_magnitude()
            .ok_or("the problem's prices overflow")?;
        if d.node_arcs.len() != nodes + 1
            || d.node_arcs.first() != Some(&0)
            || d.node_arcs.last() != Some(&(arcs as u32))
            || d.node_arcs.windows(2).any(|w| w[0] > w[1])
        {
            return Err("node arc ranges");
        }
        if d.arc_w.len() != arcs
            || d.arc_kids.len() != arcs + 1
            || d.arc_kids.first() != Some(&0)
            || d.arc_kids.last() != Some(&(d.kids.len() as u32))
            || d.arc_kids.windows(2).any(|w| w[0] > w[1])
        {
            return Err("arc child ranges");
        }
        let mut arc_flat = Vec::with_capacity(arcs);
        // the largest absolute weight sum below each node
        let mut heaviest = vec![0u64; nodes];
        for nd in 0..nodes {
            let x = d.node_var[nd];
            if x as usize >= problem.vars.len() {
                return Err("node variable");
            }
            for a in d.node_arcs[nd] as usize..d.node_arcs[nd + 1] as usize {
                if d.arc_val[a] as usize >= problem.domain(x) {
                    return Err("arc value");
                }
                arc_flat.push(offsets.at(x, d.arc_val[a]) as u32);
                let mut sum = d.arc_w[a].unsigned_abs();
                for &k in &d.kids[d.arc_kids[a] as usize..d.arc_kids[a + 1] as usize] {
                    if k as usize >= nd {
                        return Err("a child after its parent");
                    }
                    sum = sum.saturating_add(heaviest[k as usize]);
                }
                heaviest[nd] = heaviest[nd].max(sum);
            }
        }
        let mut total = problem.constant.unsigned_abs();
        let mut root_vars: Vec<u32> = Vec::with_capacity(d.roots.len());
        for &r in &d.roots {
            let r = r as usize;
            if r >= nodes {
                return Err("root");
            }
            total = total.saturating_add(heaviest[r]);
            root_vars.push(d.node_var[r]);
        }
        let mut tree_roots = engine.tree.roots.clone();
        root_vars.sort_unstable();
        tree_roots.sort_unstable();
        let roots_fit = if d.satisfiable {
            root_vars == tree_roots
        } else {
            root_vars.is_empty()
        };
        if !roots_fit {
            return Err("roots");
        }
        if total > bound.unsigned_abs() {
            return Err("weights beyond the problem's prices");
        }
        Ok(Compiled {
            problem,
            offsets,
            engine,
            node_var: d.node_var,
            node_arcs: d.node_arcs,
            arc_val: d.arc_val,
            arc_flat,
            arc_w: d.arc_w,
            arc_kids: d.arc_kids,
            kids: d.kids,
            roots: d.roots,
            satisfiable: d.satisfiable,
        })
    }

    pub fn problem(&self) -> &Problem {
        &self.problem
    }
    pub fn offsets(&self) -> &Offsets {
        &self.offsets
    }
    pub fn pseudo_tree(&self) -> &PseudoTree {
        &self.engine.tree
    }
    pub fn is_satisfiable(&self) -> bool {
        self.satisfiable
    }

    pub fn stats(&self) -> DiagramStats {
        DiagramStats {
            nodes: self.node_var.len(),
            arcs: self.arc_val.len(),
            edges: self.kids.len(),
            max_context: self
                .engine
                .tree
                .context
                .iter()
                .map(Vec::len)
                .max()
                .unwrap_or(0),
            tree_depth: self
                .engine
                .tree
                .depth
                .iter()
                .max()
                .map_or(0, |d| *d as usize + 1),
        }
    }

    /// A flat "allowed" vector from per-variable choices (`None` = free).
    pub fn allowed_from(&self, choices: &[Option<Val>]) -> Vec<bool> {
        let mut allowed = vec![true; self.offsets.total()];
        for (v, c) in choices.iter().enumerate() {
            if let Some(a) = c {
                let d = self.problem.domain(v as Var);
                let base = self.offsets.0[v];
                allowed[base..base + d].iter_mut().for_each(|x| *x = false);
                if (*a as usize) < d {
                    allowed[base + *a as usize] = true;
                }
            }
        }
        allowed
    }

    /// Complete propagation under per-variable choices.
    pub fn propagate(&self, choices: &[Option<Val>]) -> Supports {
        self.propagate_allowed(&self.allowed_from(choices))
    }

    /// Bottom-up pass: which nodes still have a valid sub-configuration; also per-arc status.
    pub(crate) fn upward(
        &self,
        allowed: &[bool],
        sat: &mut Vec<bool>,
        arc_ok: &mut Vec<bool>,
    ) -> bool {
        sat.clear();
        sat.resize(self.node_var.len(), false);
        arc_ok.clear();
        arc_ok.resize(self.arc_val.len(), false);
        for nd in 0..self.node_var.len() {
            let mut any = false;
            for a in self.node_arcs[nd] as usize..self.node_arcs[nd + 1] as usize {
                if !allowed[self.arc_flat[a] as usize] {
                    continue;
                }
                let ks = &self.kids[self.arc_kids[a] as usize..self.arc_kids[a + 1] as usize];
                if ks.iter().all(|&k| sat[k as usize]) {
                    arc_ok[a] = true;
                    any = true;
                }
            }
            sat[nd] = any;
        }
        self.satisfiable && self.roots.iter().all(|&r| sat[r as usize])
    }

    /// Is there a valid configuration using only allowed options?
    pub fn consistent(&self, allowed: &[bool]) -> bool {
        let mut sat = Vec::new();
        let mut arc_ok = Vec::new();
        self.upward(allowed, &mut sat, &mut arc_ok)
    }

    /// Complete propagation under an arbitrary restriction (flat allowed vector).
    pub fn propagate_allowed(&self, allowed: &[bool]) -> Supports {
        let mut sat = Vec::new();
        let mut arc_ok = Vec::new();
        let mut flat = vec![false; self.offsets.total()];
        if !self.upward(allowed, &mut sat, &mut arc_ok) {
            return Supports {
                consistent: false,
                flat,
            };
        }
        let mut reach = vec![false; self.node_var.len()];
        for &r in &self.roots {
            reach[r as usize] = true;
        }
        for nd in (0..self.node_var.len()).rev() {
            if !reach[nd] {
                continue;
            }
            for a in self.node_arcs[nd] as usize..self.node_arcs[nd + 1] as usize {
                if arc_ok[a] {
                    flat[self.arc_flat[a] as usize] = true;
                    for &k in &self.kids[self.arc_kids[a] as usize..self.arc_kids[a + 1] as usize] {
                        reach[k as usize] = true;
                    }
                }
            }
        }
        Supports {
            consistent: true,
            flat,
        }
    }

    /// Exact number of valid configurations using only allowed options.
    pub fn count_allowed(&self, allowed: Option<&[bool]>) -> BigUint {
        if !self.satisfiable {
            return BigUint::ZERO;
        }
        let mut count: Vec<BigUint> = Vec::with_capacity(self.node_var.len());
        for nd in 0..self.node_var.len() {
            let mut total = BigUint::ZERO;
            for a in self.node_arcs[nd] as usize..self.node_arcs[nd + 1] as usize {
                if allowed.is_some_and(|al| !al[self.arc_flat[a] as usize]) {
                    continue;
                }
                let mut p = BigUint::from(1u32);
                for &k in &self.kids[self.arc_kids[a] as usize..self.arc_kids[a + 1] as usize] {
                    p *= &count[k as usize];
                    if p == BigUint::ZERO {
                        break;
                    }
                }
                total += p;
            }
            count.push(total);
        }
        let mut out = BigUint::from(1u32);
        for &r in &self.roots {
            out *= &count[r as usize];
        }
        out
    }

    /// Number of valid configurations.
    pub fn count(&self) -> BigUint {
        self.count_allowed(None)
    }

    /// Best (lowest when `minimise`, else highest) total cost over valid configurations using only
    /// allowed options, with one configuration reaching it.
    pub fn optimum(&self, allowed: &[bool], minimise: bool) -> Option<(i64, Vec<Val>)> {
        let mut sat = Vec::new();
        let mut arc_ok = Vec::new();
        if !self.upward(allowed, &mut sat, &mut arc_ok) {
            return None;
        }
        let n = self.node_var.len();
        let mut best = vec![0i64; n];
        let mut choice = vec![u32::MAX; n];
        for nd in 0..n {
            if !sat[nd] {
                continue;
            }
            let mut b: Option<(i64, u32)> = None;
            for a in self.node_arcs[nd] as usize..self.node_arcs[nd + 1] as usize {
                if !arc_ok[a] {
                    continue;
                }
                let v = self.arc_w[a]
                    + self.kids[self.arc_kids[a] as usize..self.arc_kids[a + 1] as usize]
                        .iter()
                        .map(|&k| best[k as usize])
                        .sum::<i64>();
                let better = match b {
                    None => true,
                    Some((c, _)) => {
                        if minimise {
                            v < c
                        } else {
                            v > c
                        }
                    }
                };
                if better {
                    b = Some((v, a as u32));
                }
            }
            if let Some((v, a)) = b {
                best[nd] = v;
                choice[nd] = a;
            }
        }
        let total =
            self.problem.constant + self.roots.iter().map(|&r| best[r as usize]).sum::<i64>();
        let mut assignment = vec![0 as Val; self.problem.vars.len()];
        let mut stack: Vec<u32> = self.roots.clone();
        while let Some(nd) = stack.pop() {
            let a = choice[nd as usize] as usize;
            assignment[self.node_var[nd as usize] as usize] = self.arc_val[a];
            stack.extend(&self.kids[self.arc_kids[a] as usize..self.arc_kids[a + 1] as usize]);
        }
        Some((total, assignment))
    }

    /// For every option, the lowest total cost (as [`Compiled::optimum`] counts it) of a valid
    /// configuration that contains it and uses only allowed options, indexed like
    /// `offsets().at(v, a)`: `None` for an option on no such configuration; `None` altogether
    /// when there is no such configuration.
    ///
    /// All options in two passes rather than one optimisation each: bottom up, the cheapest
    /// sub-configuration below every node (`inside`, the min-sum pass of `optimum`); top down,
    /// the cheapest rest of a configuration around every node (`outside`: its parent's outside
    /// plus the parent arc's weight and its sibling sub-trees' insides, the cheapest over all
    /// parent arcs). An arc then lies on a cheapest configuration costing outside + weight +
    /// its children's insides, and an option's best price is the least of its arcs'.
    pub fn best_cost_per_value(&self, allowed: &[bool]) -> Option<Vec<Option<i64>>> {
        // no valid sub-configuration; every real sum stays within i64 (see
        // `Problem::cost_magnitude`), so it is never reached by adding
        const NO: i64 = i64::MAX;
        if !self.satisfiable {
            return None;
        }
        let n = self.node_var.len();
        let kids = |a: usize| &self.kids[self.arc_kids[a] as usize..self.arc_kids[a + 1] as usize];
        // the arc's weight plus its children's insides, NO when a child has none
        let below = |a: usize, inside: &[i64]| {
            kids(a).iter().try_fold(self.arc_w[a], |sum, &k| {
                let i = inside[k as usize];
                (i != NO).then(|| sum + i)
            })
        };
        let mut inside = vec![NO; n];
        for nd in 0..n {
            for a in self.node_arcs[nd] as usize..self.node_arcs[nd + 1] as usize {
                if allowed[self.arc_flat[a] as usize]
                    && let Some(cost) = below(a, &inside)
                {
                    inside[nd] = inside[nd].min(cost);
                }
            }
        }
        if self.roots.iter().any(|&r| inside[r as usize] == NO) {
            return None;
        }
        let roots: i64 = self.roots.iter().map(|&r| inside[r as usize]).sum();
        let mut outside = vec![NO; n];
        for &r in &self.roots {
            outside[r as usize] = self.problem.constant + roots - inside[r as usize];
        }
        let mut best = vec![NO; self.offsets.total()];
        // children come before their parents in node order
        for nd in (0..n).rev() {
            if outside[nd] == NO {
                continue;
            }
            for a in self.node_arcs[nd] as usize..self.node_arcs[nd + 1] as usize {
                if !allowed[self.arc_flat[a] as usize] {
                    continue;
                }
                let Some(cost) = below(a, &inside) else {
                    continue;
                };
                let through = outside[nd] + cost;
                let slot = &mut best[self.arc_flat[a] as usize];
                *slot = (*slot).min(through);
                for &k in kids(a) {
                    let around = through - inside[k as usize];
                    let o = &mut outside[k as usize];
                    *o = (*o).min(around);
                }
            }
        }
        Some(best.into_iter().map(|b| (b != NO).then_some(b)).collect())
    }

    /// Lowest and highest total cost over valid configurations using only allowed options.
    pub fn cost_bounds(&self, allowed: &[bool]) -> Option<(i64, i64)> {
        let lo = self.optimum(allowed, true)?.0;
        let hi = self.optimum(allowed, false)?.0;
        Some((lo, hi))
    }

    /// Satisfiability with only the `active` constraints and the allowed options, by a fresh
    /// cached search (used to find which rules are responsible for a conflict).
    pub fn satisfiable_with(&self, active: &[bool], allowed: &[bool]) -> bool {
        let n = self.problem.vars.len();
        let mut search = Search {
            problem: &self.problem,
            engine: &self.engine,
            offsets: &self.offsets,
            assign: vec![0; n],
            cursor: vec![0; self.engine.cursor_len],
            allowed: Some(allowed),
            active: Some(active),
            key_mask: Some(self.engine.active_context(&self.problem, active)),
            // no limit: explanations ask this of rule sets that compiled within theirs
            steps_left: u64::MAX,
            exhausted: false,
        };
        let mut cache = vec![HashMap::new(); n];
        self.engine
            .tree
            .roots
            .iter()
            .all(|&r| search.satisfiable(r, &mut cache))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// The straightforward min-fill this module used before: a bit matrix, every candidate's
    /// fill recounted at every step (O(n³/64)). The reference for the sparse version.
    fn dense_min_fill(
        n: usize,
        scopes: &[Vec<Var>],
        domains: &[usize],
    ) -> (Vec<usize>, Vec<Vec<usize>>) {
        let words = n.div_ceil(64).max(1);
        let mut adj = vec![vec![0u64; words]; n];
        let set = |b: &mut [u64], i: usize| b[i / 64] |= 1 << (i % 64);
        for s in scopes {
            for &a in s {
                for &b in s {
                    if a != b {
                        set(&mut adj[a as usize], b as usize);
                    }
                }
            }
        }
        let mut alive = vec![0u64; words];
        for i in 0..n {
            set(&mut alive, i);
        }
        let members = |b: &[u64]| -> Vec<usize> {
            let mut out = Vec::new();
            for (w, &word) in b.iter().enumerate() {
                let mut x = word;
                while x != 0 {
                    out.push(w * 64 + x.trailing_zeros() as usize);
                    x &= x - 1;
                }
            }
            out
        };
        let mut order = Vec::with_capacity(n);
        let mut neighbours_at_elim: Vec<Vec<usize>> = vec![Vec::new(); n];
        for _ in 0..n {
            let mut best: Option<(usize, usize, usize, usize)> = None;
            for x in members(&alive) {
                let nb = members(&adj[x]);
                let mut fill = 0usize;
                for &a in &nb {
                    for (w, word) in adj[x].iter().enumerate() {
                        let mut missing = word & !adj[a][w];
                        if w == a / 64 {
                            missing &= !(1 << (a % 64));
                        }
                        fill += missing.count_ones() as usize;
                    }
                }
                let key = (fill / 2, nb.len(), domains[x], x);
                if best.is_none_or(|b| key < b) {
                    best = Some(key);
                }
            }
            let Some((_, _, _, x)) = best else { break };
            let nb = members(&adj[x]);
            for &a in &nb {
                for &b in &nb {
                    if a != b {
                        set(&mut adj[a], b);
                    }
                }
                adj[a][x / 64] &= !(1 << (x % 64));
            }
            alive[x / 64] &= !(1 << (x % 64));
            neighbours_at_elim[x] = nb;
            order.push(x);
        }
        (order, neighbours_at_elim)
    }

    /// `satisfiable_with` as it was: every sub-problem keyed by its whole context.
    fn satisfiable_with_whole_context(c: &Compiled, active: &[bool], allowed: &[bool]) -> bool {
        let n = c.problem.vars.len();
        let mut search = Search {
            problem: &c.problem,
            engine: &c.engine,
            offsets: &c.offsets,
            assign: vec![0; n],
            cursor: vec![0; c.engine.cursor_len],
            allowed: Some(allowed),
            active: Some(active),
            key_mask: None,
            steps_left: u64::MAX,
            exhausted: false,
        };
        let mut cache = vec![HashMap::new(); n];
        c.engine
            .tree
            .roots
            .iter()
            .all(|&r| search.satisfiable(r, &mut cache))
    }

    /// Random rule subsets (few, half, all but a few) and random choices, as QuickXplain asks.
    fn assert_active_keys_agree(c: &Compiled, rng: &mut Rng, cases: usize) -> usize {
        let p = c.problem();
        let mut unsatisfiable = 0;
        for _ in 0..cases {
            let share = [0.02, 0.1, 0.5, 0.95][rng.below(4)];
            let active: Vec<bool> = (0..p.constraints.len())
                .map(|_| rng.chance(share))
                .collect();
            let choices: Vec<Option<Val>> = p
                .vars
                .iter()
                .map(|v| rng.chance(0.08).then(|| rng.below(v.values.len()) as Val))
                .collect();
            let allowed = c.allowed_from(&choices);
            let masked = c.satisfiable_with(&active, &allowed);
            assert_eq!(masked, satisfiable_with_whole_context(c, &active, &allowed));
            unsatisfiable += usize::from(!masked);
        }
        unsatisfiable
    }

    #[test]
    fn keying_by_the_active_context_answers_as_the_whole_context() {
        let mut rng = Rng::new(3);
        let mut unsatisfiable = 0;
        for seed in 0..40 {
            let shape = crate::generate::Shape {
                groups: 6 + rng.below(20),
                big_domain: 2 + rng.below(6),
                tables: 3 + rng.below(25),
                max_arity: 2 + rng.below(4),
                samples: 2 + rng.below(20),
                follow: 0.5,
                seed,
            };
            let c = Compiled::new(crate::generate::generate(&shape));
            unsatisfiable += assert_active_keys_agree(&c, &mut rng, 40);
        }
        assert!(
            unsatisfiable > 50,
            "too few unsatisfiable cases: {unsatisfiable}"
        );
        // the Renault medium instance, when ../shared is there (tests run in the crate's
        // directory; a path fixed at compile time would go stale if the checkout moves)
        let path = "../../../shared/bench/renault/medium.xml";
        match std::fs::read_to_string(path) {
            Ok(xml) => {
                let c = Compiled::new(crate::xcsp::import_csp(&xml).expect("medium imports"));
                assert_active_keys_agree(&c, &mut rng, 60);
            }
            Err(_) if std::env::var("CI").is_ok_and(|v| v == "true") => {
                panic!("CI=true but {path} is absent")
            }
            Err(_) => println!("skipping Renault medium: {path} not found"),
        }
    }

    #[test]
    fn sparse_min_fill_eliminates_in_the_same_order_as_the_dense_reference() {
        let mut rng = Rng::new(11);
        for case in 0..400 {
            let n = 1 + rng.below(70);
            let domains: Vec<usize> = (0..n).map(|_| 1 + rng.below(4)).collect();
            let scopes: Vec<Vec<Var>> = (0..rng.below(2 * n + 1))
                .map(|_| {
                    let wide = rng.chance(0.1);
                    let arity = 1 + rng.below(if wide { 9 } else { 3 });
                    (0..arity).map(|_| rng.below(n) as Var).collect()
                })
                .collect();
            assert_eq!(
                min_fill(n, &scopes, &domains),
                dense_min_fill(n, &scopes, &domains),
                "case {case}: n = {n}, scopes = {scopes:?}"
            );
        }
    }

    #[test]
    fn a_long_chain_is_ordered_from_one_end_in_linear_time() {
        let n = 200_000;
        let scopes: Vec<Vec<Var>> = (0..n as Var - 1).map(|i| vec![i, i + 1]).collect();
        let tree = PseudoTree::build(n, &scopes, &vec![2; n]);
        assert_eq!(tree.roots, vec![n as Var - 1]);
        assert_eq!(tree.depth[0] as usize, n - 1);
        assert_eq!(tree.preorder.len(), n);
    }
}
