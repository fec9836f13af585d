//! The catalogue: the home page with categories and products, and the product page where a buyer
//! configures a product. The server assesses every configuration with the configurator engine
//! (the one source of truth for rules and prices); the page shows only options that still lead
//! to a valid product, says why the others are unavailable and links to the change that makes
//! them available.

pub mod assess;
mod island;
mod page;
#[cfg(feature = "ssr")]
pub mod ssr;

pub use page::{HomePage, ProductPage};

use std::collections::BTreeMap;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProductCard {
    pub slug: String,
    pub name: String,
    pub summary: String,
    pub image: String,
    pub from_price: i64,
    pub configurable: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CategoryView {
    pub slug: String,
    pub name: String,
    pub products: Vec<ProductCard>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptionView {
    pub id: String,
    pub name: String,
    /// The option's own price (what it adds on its own).
    pub price: i64,
    pub available: bool,
    /// What choosing it does to the price: the cheapest valid configuration with it, less the
    /// price shown now. Only for options that can be chosen.
    pub delta: Option<i64>,
    /// Why it is unavailable, in the buyer's words.
    pub reason: Option<String>,
    /// How to get it: the choices that make it available, and what that changes.
    pub fix: Option<Fix>,
    /// How many are left, when few are.
    pub left: Option<i64>,
    /// Working days to make or source it.
    pub lead_days: u32,
    /// The option most buyers with the same choices took.
    pub popular: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fix {
    pub choices: BTreeMap<String, String>,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupView {
    pub id: String,
    pub name: String,
    pub optional: bool,
    /// The option shown as selected: the buyer's choice, else the cheapest valid completion.
    pub selected: String,
    /// Whether the buyer chose it (rather than the shop completing it).
    pub chosen: bool,
    pub forced: bool,
    pub options: Vec<OptionView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuoteLine {
    pub label: String,
    pub amount: i64,
}

/// What a product page knows about a product besides its rules, fresh with every page: the
/// browser recomputes the page from these and the rules at `rules_url`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProductFacts {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub image: String,
    pub base_price: i64,
    /// Stock of a simple product; configurable products keep stock per option (`levels`).
    pub stock: Option<i64>,
    /// False while a merchandiser keeps it hidden: only they see the page, as a preview.
    pub on_sale: bool,
    pub rule_version: i64,
    /// Where the browser loads the rules from. The URL names the rule version and a hash of the
    /// rules, so it is cached for good and a new version is a new URL.
    pub rules_url: String,
    /// Options whose stock is tracked: (group, option, how many are left).
    pub levels: Vec<(String, String, i64)>,
    /// Order lines sold on this rule version: what "popular with your choices" learnt from.
    pub sales: i64,
}

/// What a product page's engine loads from `ProductFacts::rules_url`: the rules, and "popular
/// with your choices" trained on the shop's orders of this rule version (none without sales).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RulesData {
    pub rules: configurator::RuleSet,
    pub popular: Option<configurator::NamedRecommender>,
}

/// Rule sets with more JSON than this go to the browser compiled (`…-{sales}.bin`, see
/// [`compiled_rules`]) rather than as JSON to compile there. Measured in the engine's README
/// ("Compact compiled form"): the compact form loads 2–3× faster than compiling on Renault
/// medium (306 KB of JSON) and 5–7× on the synthetic large range, and loses only on rule sets
/// of the bicycle's size (3 KB), where both take milliseconds.
pub const COMPILED_FROM_BYTES: usize = 64 * 1024;

/// The body of a compiled rules file: the length of the "popular" model's JSON (4 bytes, little
/// endian; 0 for none), that JSON, then the engine's compact form (`Configurator::to_bytes`).
pub fn compiled_rules(
    engine: &configurator::Configurator,
    popular: Option<&configurator::NamedRecommender>,
) -> Vec<u8> {
    let popular = popular
        .and_then(|model| serde_json::to_vec(model).ok())
        .unwrap_or_default();
    let compact = engine.to_bytes();
    let mut body = Vec::with_capacity(4 + popular.len() + compact.len());
    body.extend_from_slice(&(popular.len() as u32).to_le_bytes());
    body.extend_from_slice(&popular);
    body.extend_from_slice(&compact);
    body
}

/// Reads what [`compiled_rules`] wrote; none for anything else (a truncated or foreign file).
pub fn read_compiled_rules(
    body: &[u8],
) -> Option<(
    configurator::Configurator,
    Option<configurator::NamedRecommender>,
)> {
    let (head, rest) = body.split_first_chunk::<4>()?;
    let length = u32::from_le_bytes(*head) as usize;
    if rest.len() < length {
        return None;
    }
    let (popular, compact) = rest.split_at(length);
    let popular = if popular.is_empty() {
        None
    } else {
        // text, as the JSON rules file is read, so the browser carries one deserializer
        Some(serde_json::from_str(std::str::from_utf8(popular).ok()?).ok()?)
    };
    Some((
        configurator::Configurator::from_bytes(compact).ok()?,
        popular,
    ))
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProductView {
    pub facts: ProductFacts,
    /// What the buyer chose (the rest of `configuration` is the shop's suggestion).
    pub choices: BTreeMap<String, String>,
    /// "Keep it under": the most the buyer wants to pay, in minor units.
    pub budget: Option<i64>,
    pub groups: Vec<GroupView>,
    /// The full configuration priced below (choices plus completion).
    pub configuration: BTreeMap<String, String>,
    pub price: i64,
    pub lines: Vec<QuoteLine>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub in_stock: bool,
    /// Working days until the configuration can ship (its slowest option).
    pub lead_days: u32,
    /// Set when the buyer's choices cannot be completed (e.g. an option sold out meanwhile).
    pub problem: Option<String>,
}

/// The home page: the catalogue, and a greeting for a returning customer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HomeView {
    pub greeting: Option<String>,
    pub categories: Vec<CategoryView>,
}

#[server(endpoint = "catalogue")]
pub async fn catalogue() -> Result<HomeView, AppError> {
    let customer = crate::session::current().await?.and_then(|s| s.customer);
    Ok(HomeView {
        greeting: customer.map(|c| {
            format!(
                "Welcome back, {}",
                crate::account::ssr::customer_view(&c).first_name
            )
        }),
        categories: ssr::catalogue().await?,
    })
}

/// Assesses the buyer's choices on a product: what is available, why not, and the price.
#[server(endpoint = "product")]
pub async fn product(
    slug: String,
    choices: Option<BTreeMap<String, String>>,
    budget: Option<i64>,
    /// An unavailable option to explain, where the page does not explain every one up front
    /// (large rule sets).
    why: Option<Asked>,
) -> Result<ProductView, AppError> {
    crate::limits::check_len("slug", &slug, crate::limits::MAX_ID)?;
    let choices = choices.unwrap_or_default();
    // A link with choices that are not this product's shows the product with a note; only
    // absurd ones are refused.
    crate::limits::check_configuration("choices", &choices)?;
    if let Some(asked) = &why {
        crate::limits::check_len("why", &asked.group, crate::limits::MAX_ID)?;
        crate::limits::check_len("why", &asked.option, crate::limits::MAX_ID)?;
    }
    ssr::product(&slug, choices, budget.filter(|b| *b > 0), why).await
}

/// The query string of a product page: `configuration[group]=option` for each choice, and,
/// from the form posted without JavaScript, `suggested[group]=option` for each group the shop
/// filled in.
#[derive(Debug, Default, Serialize, Deserialize)]
struct ProductQuery {
    #[serde(default)]
    configuration: BTreeMap<String, String>,
    #[serde(default, skip_serializing)]
    suggested: BTreeMap<String, String>,
    /// "Keep it under", in whole euros as typed (`1500` or `1500.50`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    budget: Option<String>,
    /// `why[group]=option`: the unavailable option the buyer asked about.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    why: BTreeMap<String, String>,
}

/// Reads the buyer's choices and budget from a product page URL's query string (`search`, with
/// or without the leading `?`). A group still showing its suggestion is not a choice, so changing
/// one option lets the shop re-complete the others around it. A malformed query is no choices.
pub fn selection_from_query(search: &str) -> (BTreeMap<String, String>, Option<i64>) {
    let search = search.trim_start_matches('?');
    let query: ProductQuery = serde_qs::Config::new(2, false)
        .deserialize_str(search)
        .unwrap_or_default();
    let suggested = query.suggested;
    let choices = query
        .configuration
        .into_iter()
        .filter(|(group, option)| !group.is_empty() && !option.is_empty())
        .filter(|(group, option)| suggested.get(group) != Some(option))
        .take(crate::limits::MAX_GROUPS)
        .collect();
    (choices, query.budget.as_deref().and_then(parse_budget))
}

/// An option the buyer asks about: "why is it not available, and how do I get it?".
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Asked {
    pub group: String,
    pub option: String,
}

/// The unavailable option a product page URL asks to explain (`why[group]=option`), if any.
pub fn why_from_query(search: &str) -> Option<Asked> {
    let query: ProductQuery = serde_qs::Config::new(2, false)
        .deserialize_str(search.trim_start_matches('?'))
        .unwrap_or_default();
    query
        .why
        .into_iter()
        .find(|(group, option)| !group.is_empty() && !option.is_empty())
        .map(|(group, option)| Asked { group, option })
}

/// "Ships in about 12 working days": what the product page, the cart, the checkout and the
/// order say about a configuration's lead time.
pub fn ships_in(days: u32) -> String {
    match days {
        0 => "Ready to ship within 1 working day".to_owned(),
        1 => "Ships in about 1 working day".to_owned(),
        n => format!("Ships in about {n} working days"),
    }
}

/// "1500", "1,500.50", "€1500" → minor units; none for anything else or amounts ≤ 0.
pub fn parse_budget(text: &str) -> Option<i64> {
    let text: String = text
        .trim()
        .trim_start_matches('€')
        .chars()
        .filter(|c| *c != ',' && !c.is_whitespace())
        .collect();
    if text.is_empty() || text.len() > 12 {
        return None;
    }
    let (units, cents) = text.split_once('.').unwrap_or((&text, ""));
    if units.is_empty() || !units.chars().all(|c| c.is_ascii_digit()) || cents.len() > 2 {
        return None;
    }
    if !cents.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let cents = format!("{cents:0<2}");
    let minor = units.parse::<i64>().ok()? * 100 + cents.parse::<i64>().ok()?;
    (minor > 0).then_some(minor)
}

/// The budget as the form shows it: `150000` → "1500", `150050` → "1500.50".
pub fn budget_text(minor: i64) -> String {
    if minor % 100 == 0 {
        (minor / 100).to_string()
    } else {
        format!("{}.{:02}", minor / 100, minor % 100)
    }
}

/// The product page URL that shows `choices` (and the budget, if any).
pub fn product_href(slug: &str, choices: &BTreeMap<String, String>, budget: Option<i64>) -> String {
    href_with(slug, choices, budget, BTreeMap::new())
}

/// The product page URL that shows `choices` and explains why `option` of `group` is not
/// available, at that option's line.
pub fn why_href(
    slug: &str,
    choices: &BTreeMap<String, String>,
    budget: Option<i64>,
    group: &str,
    option: &str,
) -> String {
    let why = BTreeMap::from([(group.to_owned(), option.to_owned())]);
    format!(
        "{}#{}",
        href_with(slug, choices, budget, why),
        unavailable_anchor(group)
    )
}

/// The id of a group's list of unavailable options.
pub fn unavailable_anchor(group: &str) -> String {
    format!("unavailable-{group}")
}

fn href_with(
    slug: &str,
    choices: &BTreeMap<String, String>,
    budget: Option<i64>,
    why: BTreeMap<String, String>,
) -> String {
    let slug = percent_encoding::utf8_percent_encode(slug, percent_encoding::NON_ALPHANUMERIC);
    let query = serde_qs::to_string(&ProductQuery {
        configuration: choices.clone(),
        suggested: BTreeMap::new(),
        budget: budget.map(budget_text),
        why,
    })
    .unwrap_or_default();
    if query.is_empty() {
        format!("/products/{slug}")
    } else {
        format!("/products/{slug}?{query}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use configurator::Choices;

    #[test]
    fn links_round_trip_the_choices() {
        let choices = BTreeMap::from([
            ("frame".to_owned(), "steel tourer".to_owned()),
            ("brakes".to_owned(), "disc&co=1".to_owned()),
        ]);
        let href = product_href("bicycle", &choices, None);
        let search = href.split_once('?').unwrap().1;
        assert_eq!(selection_from_query(search).0, choices);
        assert_eq!(
            product_href("bicycle", &BTreeMap::new(), None),
            "/products/bicycle"
        );
        let href = product_href("bicycle", &choices, Some(150050));
        assert_eq!(
            selection_from_query(href.split_once('?').unwrap().1).1,
            Some(150050)
        );
    }

    #[test]
    fn budgets_are_positive_amounts_in_euros() {
        assert_eq!(parse_budget("1500"), Some(150000));
        assert_eq!(parse_budget(" €1,500.5 "), Some(150050));
        assert_eq!(parse_budget("0.99"), Some(99));
        for bad in ["", "0", "-5", "1.234", "abc", "1e5", "99999999999999"] {
            assert_eq!(parse_budget(bad), None, "{bad}");
        }
        assert_eq!(budget_text(150000), "1500");
        assert_eq!(budget_text(150050), "1500.50");
    }

    #[test]
    fn suggestions_are_not_choices_and_bad_queries_are_none() {
        let search = "slug=bicycle&configuration%5Bframe%5D=steel&suggested%5Bframe%5D=steel&configuration%5Bbrakes%5D=disc";
        assert_eq!(
            selection_from_query(search).0,
            BTreeMap::from([("brakes".to_owned(), "disc".to_owned())])
        );
        assert!(selection_from_query("configuration=oops").0.is_empty());
        assert!(selection_from_query("%%%").0.is_empty());
    }

    #[test]
    fn compiled_rules_read_back_as_written_and_damage_is_none() {
        let rules: configurator::RuleSet = serde_json::from_str(
            r#"{"version": 1, "groups": [{"id": "frame", "name": "Frame", "options": [
                {"id": "steel", "name": "Steel", "price": 0},
                {"id": "carbon", "name": "Carbon", "price": 50000}]}], "rules": []}"#,
        )
        .unwrap();
        let engine = configurator::Configurator::compile(&rules).unwrap();
        let sold = vec![Choices::from([("frame".to_owned(), "carbon".to_owned())])];
        let popular = engine.train_recommender(&sold);
        for model in [None, Some(&popular)] {
            let body = compiled_rules(&engine, model);
            let (read, read_popular) = read_compiled_rules(&body).unwrap();
            assert_eq!(read.rules(), engine.rules());
            assert_eq!(read.count(), engine.count());
            assert_eq!(read_popular.is_some(), model.is_some());
            for cut in [0, 3, 4, body.len() / 2, body.len() - 1] {
                assert!(read_compiled_rules(&body[..cut]).is_none(), "cut at {cut}");
            }
        }
        assert!(read_compiled_rules(&[255, 255, 255, 255, 1]).is_none());
    }

    #[test]
    fn a_why_link_keeps_the_choices_and_names_the_option() {
        let choices = BTreeMap::from([("frame".to_owned(), "steel".to_owned())]);
        let href = why_href("car", &choices, Some(150000), "engine", "v8 & co");
        let (path, anchor) = href.split_once('#').unwrap();
        assert_eq!(anchor, "unavailable-engine");
        let search = path.split_once('?').unwrap().1;
        assert_eq!(selection_from_query(search), (choices, Some(150000)));
        assert_eq!(
            why_from_query(search),
            Some(Asked {
                group: "engine".to_owned(),
                option: "v8 & co".to_owned()
            })
        );
        assert_eq!(why_from_query("configuration%5Bframe%5D=steel"), None);
    }
}
