//! Atelier's configurator engine: rule sets of option groups compiled into an AND/OR decision
//! diagram that answers complete propagation, explanations, repairs, prices, optimal completion,
//! validation and exact counts, natively and in wasm.

pub mod compile;
pub mod problem;
pub mod xcsp;

pub use compile::{Compiled, DiagramStats, PseudoTree, Supports};
pub use problem::{Constraint, CostFn, Literal, Offsets, Problem, Val, Var, Variable};
pub use xcsp::{ImportError, import_csp, import_prices};
