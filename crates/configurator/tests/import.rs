//! XCSP / WCSP import on hand-written files, malformed input, and the synthetic generator's
//! round trip through its own writers.

use configurator::generate::{Shape, generate, to_wcsp_prices, to_xcsp};
use configurator::xcsp::{Defect, MAX_CONFLICTS_SCOPE, MAX_TUPLES, Malformed, Quantity};
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

#[test]
fn an_attribute_without_a_value_is_a_located_error_not_a_panic() {
    let err = import_csp("<instance>\n  <domain name=>0</domain>\n</instance>").unwrap_err();
    let ImportError::Malformed(Malformed { at, .. }) = &err else {
        panic!("expected a malformed-file error, got {err}");
    };
    assert_eq!((at.line, at.column), (2, 3), "{err}");
    assert!(err.to_string().contains("line 2, column 3"), "{err}");
}

/// A file with one domain of `values` values shared by `vars` variables, and one `conflicts`
/// relation over all of them applied by `constraints` constraints.
fn conflicts_instance(values: usize, vars: usize, constraints: usize) -> String {
    let values: Vec<String> = (0..values).map(|v| v.to_string()).collect();
    let variables: String = (0..vars)
        .map(|i| format!("<variable name=\"x{i}\" domain=\"D\"/>\n"))
        .collect();
    let scope: Vec<String> = (0..vars).map(|i| format!("x{i}")).collect();
    let constraints: String = (0..constraints)
        .map(|i| {
            format!(
                "<constraint name=\"c{i}\" reference=\"r\" scope=\"{}\"/>\n",
                scope.join(" ")
            )
        })
        .collect();
    let banned = vec!["0"; vars].join(" ");
    format!(
        "<instance>\n<domains><domain name=\"D\">{}</domain></domains>\n<variables>\n{variables}</variables>\n\
         <relations><relation name=\"r\" semantics=\"conflicts\">{banned}</relation></relations>\n\
         <constraints>\n{constraints}</constraints>\n</instance>",
        values.join(" "),
    )
}

/// 1-based line of the first line of `src` containing `needle`.
fn line_of(src: &str, needle: &str) -> usize {
    1 + src
        .lines()
        .position(|l| l.contains(needle))
        .expect("needle in source")
}

#[test]
fn a_conflicts_relation_whose_scope_product_overflows_is_too_large() {
    // 10,000^20 combinations do not fit in 64 bits
    let src = conflicts_instance(10_000, 20, 1);
    let err = import_csp(&src).unwrap_err();
    assert!(
        matches!(
            err,
            ImportError::TooLarge { what: Quantity::ConflictsScope, limit, at }
                if limit == MAX_CONFLICTS_SCOPE as u64 && at.line == line_of(&src, "<constraint ")
        ),
        "{err}"
    );
}

#[test]
fn a_relation_applied_by_many_constraints_is_bounded_by_the_tuple_limit() {
    // each constraint expands to 1,000 × 1,000 − 1 allowed tuples
    let err = import_csp(&conflicts_instance(1_000, 2, 3)).unwrap_err();
    assert!(
        matches!(err, ImportError::TooLarge { what: Quantity::Tuples, limit, .. } if limit == MAX_TUPLES as u64),
        "{err}"
    );
    let fine = import_csp(&conflicts_instance(1_000, 2, 1)).unwrap();
    assert_eq!(Compiled::new(fine).count().to_string(), "999999");
}

#[test]
fn prices_beyond_64_bits_are_too_large_and_leave_the_problem_unchanged() {
    let mut p = import_csp(CSP).unwrap();
    let before = p.clone();
    let huge = PRICES.replace("5:0|1|7:2", "9223372036854775807:0|9223372036854775807:0");
    let err = import_prices(&mut p, &huge).unwrap_err();
    assert!(
        matches!(
            err,
            ImportError::TooLarge {
                what: Quantity::Cost,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(p, before);
    let overflow = PRICES.replace("5:0", "9223372036854775808:0");
    assert!(matches!(
        import_prices(&mut p, &overflow),
        Err(ImportError::Malformed(Malformed {
            defect: Defect::Number { .. },
            ..
        }))
    ));
}

#[test]
fn comments_cdata_and_character_references_are_read_as_xml() {
    let xml = CSP
        .replace(
            "<domain name=\"D3\" nbValues=\"3\">0 1 2</domain>",
            "<domain name=\"D3\" nbValues=\"3\">0 &#49; <![CDATA[2]]></domain>",
        )
        .replace("0 1|1 2|2 2", "0 1|<!-- a comment -->1 2|2&#x20;2");
    let p = import_csp(&xml).unwrap();
    assert_eq!(p.vars[0].values, ["0", "1", "2"]);
    assert_eq!(Compiled::new(p).count().to_string(), "4");
}

#[test]
fn structural_mistakes_are_typed_and_located() {
    let defect = |src: &str| match import_csp(src) {
        Err(ImportError::Malformed(m)) => (m.defect, m.at.line),
        other => panic!("expected a malformed-file error, got {other:?}"),
    };
    assert!(matches!(
        defect("<instance>\n<domains>\n</instance>"),
        (Defect::Xml(_), 3)
    ));
    assert!(matches!(
        defect("<instance>\n<domains>"),
        (Defect::Unclosed { element }, 2) if element == "domains"
    ));
    assert!(matches!(
        defect("<domain name=\"D\">0 <b/>1</domain>"),
        (
            Defect::Nested {
                parent: "domain",
                ..
            },
            1
        )
    ));
    let twice = CSP.replace("name=\"b\" domain", "name=\"a\" domain");
    assert!(matches!(
        defect(&twice),
        (Defect::Duplicate { kind: "variable", name }, line) if name == "a" && line == line_of(&twice, "name=\"a\" domain=\"D3\"") + 1
    ));
    let repeated = CSP.replace(">0 1 2<", ">0 1 1<");
    assert!(matches!(
        defect(&repeated),
        (Defect::RepeatedValue { value, .. }, line) if value == "1" && line == line_of(CSP, "name=\"D3\"")
    ));
    let arity = CSP.replace("0 1|1 2|2 2", "0 1|1 2 0");
    assert!(matches!(
        defect(&arity),
        (Defect::Arity { tuple: 2, values: 3, arity: 2, .. }, line) if line == line_of(CSP, "name=\"rab\"")
    ));
    let semantics = CSP.replace("semantics=\"conflicts\"", "semantics=\"soft\"");
    assert!(matches!(
        defect(&semantics),
        (Defect::Semantics { .. }, line) if line == line_of(CSP, "name=\"rbc\"")
    ));
    let empty_scope = CSP.replace("scope=\"a b\"", "scope=\" \"");
    assert!(matches!(
        defect(&empty_scope),
        (Defect::EmptyScope { .. }, line) if line == line_of(CSP, "name=\"c1\"")
    ));
    let bad_value = CSP.replace("0 1|1 2|2 2", "0 1|1 9");
    assert!(matches!(
        import_csp(&bad_value),
        Err(ImportError::BadValue { at, .. }) if at.line == line_of(CSP, "name=\"rab\"")
    ));
}
