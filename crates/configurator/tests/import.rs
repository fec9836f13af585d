//! XCSP / WCSP import on hand-written files, malformed input, and the synthetic generator's
//! round trip through its own writers.

use configurator::generate::{Shape, generate, to_wcsp_prices, to_xcsp};
use configurator::{Compiled, ImportError, import_csp, import_prices};

const CSP: &str = r#"<instance>
<presentation format="XCSP 2.1" type="CSP"/>
<domains nbDomains="2">
<domain name="D3" nbValues="3">0 1 2</domain>
<domain name="Dopt" nbValues="2" optional="-1">0 -1</domain>
</domains>
<variables nbVariables="3">
<variable name="a" domain="D3"/>
<variable name="b" domain="D3"/>
<variable name="c" domain="Dopt"/>
</variables>
<relations nbRelations="2">
<relation name="rab" arity="2" nbTuples="3" semantics="supports">0 1|1 2|2 2</relation>
<relation name="rbc" arity="2" nbTuples="1" semantics="conflicts">2 -1</relation>
</relations>
<constraints nbConstraints="2">
<constraint name="c1" arity="2" reference="rab" scope="a b"/>
<constraint name="c2" arity="2" reference="rbc" scope="b c"/>
</constraints>
</instance>"#;

const PRICES: &str = r#"<instance>
<presentation format="XCSP 2.1" type="WCSP"/>
<relations>
<relation name="pa" arity="1" nbTuples="3" semantics="soft" defaultCost="0">5:0|1|7:2</relation>
<relation name="pbc" arity="2" nbTuples="2" semantics="soft" defaultCost="3">1:1 0|2 0</relation>
</relations>
<constraints>
<constraint name="price1" arity="1" reference="pa" scope="a"/>
<constraint name="price2" arity="2" reference="pbc" scope="b c"/>
</constraints>
</instance>"#;

#[test]
fn supports_conflicts_and_optional_values_import() {
    let p = import_csp(CSP).unwrap();
    assert_eq!(p.vars[2].values, vec!["0".to_string(), "-1".to_string()]);
    // (a,b) ∈ {01, 12, 22}; c free except b=2 forbids c=-1: 2 + 1 + 1 = 4
    assert_eq!(Compiled::new(p).count().to_string(), "4");
}

#[test]
fn cost_prefixes_carry_over_to_following_tuples_and_defaults_apply() {
    let mut p = import_csp(CSP).unwrap();
    import_prices(&mut p, PRICES).unwrap();
    // a costs 5 for 0 and 1 (prefix carries over), 7 for 2; (b,c) costs 1 for (1,0) and (2,0), 3 otherwise
    assert_eq!(p.cost(&[0, 1, 0]), 5 + 1);
    assert_eq!(p.cost(&[2, 2, 0]), 7 + 1);
    assert_eq!(p.cost(&[0, 1, 1]), 5 + 3);
    let c = Compiled::new(p);
    let all = vec![true; c.offsets().total()];
    assert_eq!(c.cost_bounds(&all), Some((6, 8)));
}

#[test]
fn malformed_files_are_errors_not_panics() {
    assert!(matches!(
        import_csp("<instance><domain name=\"D\""),
        Err(ImportError::Malformed(_))
    ));
    let bad_value = CSP.replace("0 1|1 2|2 2", "0 1|1 9");
    assert!(matches!(
        import_csp(&bad_value),
        Err(ImportError::BadValue { .. })
    ));
    let bad_arity = CSP.replace("0 1|1 2|2 2", "0 1 2");
    assert!(matches!(
        import_csp(&bad_arity),
        Err(ImportError::Malformed(_))
    ));
    let unknown_var = CSP.replace("scope=\"a b\"", "scope=\"a z\"");
    assert!(matches!(
        import_csp(&unknown_var),
        Err(ImportError::Unknown {
            kind: "variable",
            ..
        })
    ));
    let unknown_rel = CSP.replace("reference=\"rab\"", "reference=\"nope\"");
    assert!(matches!(
        import_csp(&unknown_rel),
        Err(ImportError::Unknown {
            kind: "relation",
            ..
        })
    ));
    let mut p = import_csp(CSP).unwrap();
    assert!(import_prices(&mut p, &PRICES.replace("5:0", "x:0")).is_err());
    assert!(import_csp("").unwrap().vars.is_empty());
}

#[test]
fn synthetic_instances_are_satisfiable_and_round_trip_through_xcsp() {
    let shape = Shape {
        groups: 40,
        big_domain: 30,
        tables: 50,
        max_arity: 6,
        samples: 200,
        follow: 0.85,
        seed: 9,
    };
    let p = generate(&shape);
    assert_eq!(p.vars.len(), 40);
    assert_eq!(p.constraints.len(), 50);
    assert!(p.constraints.iter().all(|c| c.scope().len() <= 6));
    let direct = Compiled::new(p.clone());
    assert!(direct.is_satisfiable());
    let mut back = import_csp(&to_xcsp(&p, "t")).unwrap();
    import_prices(&mut back, &to_wcsp_prices(&p)).unwrap();
    let again = Compiled::new(back);
    assert_eq!(again.count(), direct.count());
    let all = vec![true; direct.offsets().total()];
    assert_eq!(again.cost_bounds(&all), direct.cost_bounds(&all));
}
