//! The demo catalogue is one a buyer would believe: configurable products with many option groups,
//! every rule kind, stock per option, images that exist, and accessories.

use std::collections::BTreeSet;

use configurator::{Configurator, Rule};

#[test]
fn the_demo_catalogue_has_believable_configurable_products_and_accessories() {
    let catalogue = server::demo::catalogue().expect("valid JSON");
    let products: Vec<_> = catalogue
        .categories
        .iter()
        .flat_map(|c| &c.products)
        .collect();
    let configurable: Vec<_> = products
        .iter()
        .filter(|p| !p.rules.groups.is_empty())
        .collect();
    let simple: Vec<_> = products
        .iter()
        .filter(|p| p.rules.groups.is_empty())
        .collect();
    assert!(configurable.len() >= 3);
    assert!(simple.len() >= 3);
    let mut kinds = BTreeSet::new();
    for product in &configurable {
        assert!(
            product.rules.groups.len() >= 6,
            "{} has 6+ option groups",
            product.slug
        );
        assert!(product.stock.is_none());
        // Tests run in the crate's directory.
        let public = std::path::Path::new("../public");
        assert!(
            public.join(product.image.trim_start_matches('/')).exists(),
            "{} image",
            product.slug
        );
        for group in &product.rules.groups {
            for option in &group.options {
                assert!(
                    product
                        .option_stock
                        .get(&group.id)
                        .and_then(|s| s.get(&option.id))
                        .is_some(),
                    "{}: stock for {}/{}",
                    product.slug,
                    group.id,
                    option.id
                );
            }
        }
        for rule in &product.rules.rules {
            kinds.insert(match rule {
                Rule::Requires { .. } => "requires",
                Rule::Excludes { .. } => "excludes",
                Rule::Table { .. } => "table",
                Rule::Capacity { .. } => "capacity",
            });
        }
        let engine = Configurator::compile(&product.rules).expect("rules compile");
        let report = engine.validate();
        assert!(
            report.dead.is_empty(),
            "{}: no option is dead: {report:?}",
            product.slug
        );
        assert!(
            report.solutions.parse::<u128>().unwrap() > 100,
            "{} offers real choice",
            product.slug
        );
        assert!(product.base_price > 0);
    }
    assert_eq!(kinds.len(), 4, "every rule kind is used: {kinds:?}");
    assert!(
        configurable
            .iter()
            .any(|p| !p.rules.price_tables.is_empty()),
        "a bundle price exists"
    );
    for product in &simple {
        assert!(product.stock.is_some_and(|s| s > 0));
    }
}
