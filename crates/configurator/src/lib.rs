//! Atelier's configurator engine: rule sets of option groups compiled into an AND/OR decision
//! diagram that answers complete propagation, explanations, repairs, prices, optimal completion,
//! validation and exact counts, natively and in wasm.
//!
//! Start with [`RuleSet`] (serde JSON) and [`Configurator::compile`]; XCSP 2.1 instances go
//! through [`import_csp`] / [`import_prices`] and [`Compiled`].

pub mod compact;
pub mod compile;
pub mod configurator;
pub mod explain;
pub mod generate;
#[cfg(feature = "ilp")]
pub mod ilp;
pub mod model;
pub mod problem;
pub mod recommend;
pub mod rng;
pub mod validate;
pub mod xcsp;

pub use compact::CompactError;
pub use compile::{Compiled, DiagramStats, PseudoTree, Supports, TooComplex};
pub use configurator::{COMPILE_STEPS, Configurator, OptionFinding, ValidationReport};
pub use model::{
    Assessment, ChoiceError, Choices, Condition, Explain, Explanation, Group, GroupState, Limit,
    ModelError, NONE_OPTION, OptionDef, OptionState, PriceEntry, PriceTable, Quote, QuoteLine,
    Repair, Rule, RuleSet, Violation,
};
pub use problem::{Constraint, CostFn, Literal, Offsets, Problem, Val, Var, Variable};
pub use recommend::NamedRecommender;
pub use xcsp::{ImportError, import_csp, import_prices, import_rule_set};
