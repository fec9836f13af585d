//! Criterion benches: compile, one click of complete propagation, count, cheapest completion and a
//! full storefront assessment (with explanations and repairs). Renault instances are read from
//! ../shared and skipped with a notice when absent (a failure on CI).

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeSet;
use std::hint::black_box;

use configurator::{Choices, Compiled, Configurator, RuleSet, Val, import_csp, import_prices};
use criterion::{Criterion, criterion_group, criterion_main};

use support::renault as shared;

fn storefront(c: &mut Criterion) {
    let rules: RuleSet = serde_json::from_str(include_str!("../examples/bike.json")).unwrap();
    let engine = Configurator::compile(&rules).unwrap();
    let choices: Choices = [("frame", "carbon"), ("brakes", "rim")]
        .iter()
        .map(|(g, o)| (g.to_string(), o.to_string()))
        .collect();
    c.bench_function("bike/compile", |b| {
        b.iter(|| Configurator::compile(black_box(&rules)))
    });
    c.bench_function("bike/assess_with_explanations", |b| {
        b.iter(|| engine.assess(black_box(&choices), &BTreeSet::new()))
    });
    c.bench_function("bike/cheapest_completion", |b| {
        b.iter(|| engine.cheapest_completion(black_box(&Choices::new()), &BTreeSet::new(), &[]))
    });
}

fn renault(c: &mut Criterion) {
    for name in ["small", "medium"] {
        let (Some(src), Some(prices)) = (
            shared(&format!("{name}.xml")),
            shared(&format!("{name}Prices.xml")),
        ) else {
            continue;
        };
        let mut problem = import_csp(&src).unwrap();
        import_prices(&mut problem, &prices).unwrap();
        c.bench_function(&format!("{name}/compile"), |b| {
            b.iter(|| Compiled::new(black_box(problem.clone())))
        });
        let compiled = Compiled::new(problem);
        let mut choices: Vec<Option<Val>> = vec![None; compiled.problem().vars.len()];
        choices[0] = Some(0);
        c.bench_function(&format!("{name}/propagate_click"), |b| {
            b.iter(|| compiled.propagate(black_box(&choices)))
        });
        c.bench_function(&format!("{name}/count"), |b| b.iter(|| compiled.count()));
        let allowed = compiled.allowed_from(&choices);
        c.bench_function(&format!("{name}/cheapest_ilp"), |b| {
            b.iter(|| configurator::ilp::cheapest(&compiled, black_box(&allowed), &[], None))
        });
        c.bench_function(&format!("{name}/cheapest_exact_min_sum"), |b| {
            b.iter(|| compiled.optimum(black_box(&allowed), true))
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = storefront, renault
}
criterion_main!(benches);
