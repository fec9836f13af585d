//! What the product page shows for a set of choices: availability with reasons and repairs, the
//! price each option would lead to, the cheapest completion (within the buyer's budget) and its
//! quote. Pure engine work over the product's facts, compiled into the server and into the
//! browser's wasm alike, so the page computes in the browser exactly what the server would.

use std::collections::{BTreeMap, BTreeSet};

use configurator::{Choices, Configurator, Explain, Limit, NamedRecommender};

use super::{Fix, GroupView, OptionView, ProductFacts, ProductView, QuoteLine};
use crate::money::format_price;

/// At or below this many left an option says "Only N left".
pub const SCARCE: i64 = 5;

/// Rule sets with at most this many options explain every unavailable option on every change
/// (a few milliseconds). Larger ones, such as a car range, explain none up front: their
/// availability, prices and completion stay exact and per click cost a millisecond or two, while
/// explaining every option would cost seconds.
pub const EXPLAIN_ALL_UP_TO: usize = 120;

/// How much the engine explains for this rule set on each change.
pub fn explain_level(engine: &Configurator) -> Explain {
    let options: usize = engine.rules().groups.iter().map(|g| g.options.len()).sum();
    if options <= EXPLAIN_ALL_UP_TO {
        Explain::All
    } else {
        Explain::None
    }
}

/// The options a buyer cannot have today because none are left.
pub fn sold_out(facts: &ProductFacts) -> BTreeSet<(String, String)> {
    facts
        .levels
        .iter()
        .filter(|(_, _, left)| *left <= 0)
        .map(|(group, option, _)| (group.clone(), option.clone()))
        .collect()
}

/// Assesses `choices` on the product: what the page shows.
pub fn assess(
    engine: &Configurator,
    facts: &ProductFacts,
    mut choices: Choices,
    budget: Option<i64>,
    popular: Option<&NamedRecommender>,
) -> Result<ProductView, String> {
    let rules = engine.rules();
    let sold_out = sold_out(facts);
    let mut problem = None;

    // Choices come from a URL: anything that is not an option of this product is dropped with a
    // note rather than failing the page.
    let before = choices.len();
    choices.retain(|group, option| rules.offers(group, option));
    if choices.len() != before {
        problem = Some(
            "Some choices in the link were not options of this product and were ignored."
                .to_owned(),
        );
    }
    let explain = explain_level(engine);
    let mut assessment = engine
        .assess_with(&choices, &sold_out, &explain)
        .map_err(|e| e.to_string())?;
    if !assessment.consistent {
        problem = Some(
            "Those choices cannot be combined (an option may have sold out meanwhile); we started again from the defaults.".to_owned(),
        );
        choices.clear();
        assessment = engine
            .assess_with(&choices, &sold_out, &explain)
            .map_err(|e| e.to_string())?;
    }
    let (completion, within_budget) =
        cheapest(engine, facts, &choices, &sold_out, budget).map_err(|e| e.to_string())?;
    if let (Some(budget), Some(_), false) = (budget, &completion, within_budget) {
        problem = Some(format!(
            "Nothing with your choices is under your budget of {}; this is the cheapest.",
            format_price(budget)
        ));
    }
    let in_stock = completion.is_some() && facts.stock.is_none_or(|stock| stock > 0);
    let configuration = completion.unwrap_or_default();
    let (price, lines) = match engine.quote(&configuration, &sold_out) {
        Ok(quote) => quote_lines(facts.base_price, quote),
        Err(_) => (
            facts.base_price + assessment.min_price.unwrap_or(0),
            Vec::new(),
        ),
    };
    let levels: BTreeMap<(&str, &str), i64> = facts
        .levels
        .iter()
        .map(|(group, option, left)| ((group.as_str(), option.as_str()), *left))
        .collect();

    let groups = assessment
        .groups
        .iter()
        .filter_map(|state| {
            let group = rules.groups.iter().find(|g| g.id == state.group)?;
            let selected = state
                .chosen
                .clone()
                .or_else(|| configuration.get(&group.id).cloned())
                .unwrap_or_else(|| "none".to_owned());
            // What most buyers with the same other choices took here, among what is on offer.
            let popular = popular.and_then(|model| {
                let candidates: Vec<String> = state
                    .options
                    .iter()
                    .filter(|o| o.available)
                    .map(|o| o.option.clone())
                    .collect();
                if candidates.len() < 2 {
                    return None;
                }
                let mut others = choices.clone();
                others.remove(&group.id);
                model.popular(engine, &others, &group.id, &candidates)
            });
            let options = state
                .options
                .iter()
                .map(|option_state| {
                    let (name, own_price) = group
                        .options
                        .iter()
                        .find(|o| o.id == option_state.option)
                        .map(|o| (o.name.clone(), o.price))
                        .unwrap_or_else(|| ("None".to_owned(), 0));
                    let best = option_state.best_price.map(|p| p + facts.base_price);
                    let mut available = option_state.available;
                    let mut reason = option_state.reason.as_ref().map(|r| r.message.clone());
                    let mut fix = option_state
                        .repair
                        .as_ref()
                        .map(|repair| fix_of(&choices, &group.id, &option_state.option, repair));
                    if let (true, Some(budget), Some(best)) = (available, budget, best)
                        && best > budget
                        && option_state.option != selected
                    {
                        available = false;
                        reason = Some(format!("Over your budget of {}", format_price(budget)));
                        fix = None;
                    }
                    let left = levels
                        .get(&(group.id.as_str(), option_state.option.as_str()))
                        .copied()
                        .filter(|left| *left <= SCARCE);
                    OptionView {
                        delta: available.then(|| best.map(|best| best - price)).flatten(),
                        lead_days: group
                            .options
                            .iter()
                            .find(|o| o.id == option_state.option)
                            .map_or(0, |o| o.lead_days),
                        id: option_state.option.clone(),
                        name,
                        price: own_price,
                        available,
                        reason,
                        fix,
                        left,
                        popular: available && popular.as_ref() == Some(&option_state.option),
                    }
                })
                .collect();
            Some(GroupView {
                id: group.id.clone(),
                name: group.name.clone(),
                optional: group.optional,
                selected,
                chosen: state.chosen.is_some(),
                forced: state.forced.is_some(),
                options,
            })
        })
        .collect();

    Ok(ProductView {
        lead_days: engine.lead_days(&configuration),
        facts: facts.clone(),
        choices,
        budget,
        groups,
        configuration,
        price,
        lines,
        min_price: assessment.min_price.map(|p| p + facts.base_price),
        max_price: assessment.max_price.map(|p| p + facts.base_price),
        in_stock,
        problem,
    })
}

/// The choices that make `option` of `group` available: the buyer's, less the ones the repair
/// drops, with the option.
fn fix_of(choices: &Choices, group: &str, option: &str, repair: &configurator::Repair) -> Fix {
    let mut fixed = choices.clone();
    for dropped in &repair.drop {
        fixed.remove(dropped);
    }
    fixed.insert(group.to_owned(), option.to_owned());
    Fix {
        choices: fixed,
        message: repair.message.clone(),
    }
}

/// Why `option` of `group` is unavailable on `view` and how to get it, for rule sets too large
/// to explain every option on each change: the reason and repair [`assess`] gives smaller ones,
/// computed for this one option (tens of milliseconds on a car range). `None` when the option
/// is available, already explained, or not the product's.
pub fn explain_one(
    engine: &Configurator,
    view: &ProductView,
    group: &str,
    option: &str,
) -> Option<(String, Option<Fix>)> {
    let shown = view
        .groups
        .iter()
        .find(|g| g.id == group)?
        .options
        .iter()
        .find(|o| o.id == option)?;
    if shown.available || shown.reason.is_some() {
        return None;
    }
    let sold_out = sold_out(&view.facts);
    let (reason, repair) = engine
        .explain_option(&view.choices, &sold_out, group, option)
        .ok()??;
    let fix = repair.map(|repair| fix_of(&view.choices, group, option, &repair));
    Some((reason.message, fix))
}

/// Puts the explanation of `option` of `group` into `view` (see [`explain_one`]).
pub fn explain_into(engine: &Configurator, view: &mut ProductView, group: &str, option: &str) {
    if let Some((reason, fix)) = explain_one(engine, view, group, option)
        && let Some(shown) = view
            .groups
            .iter_mut()
            .find(|g| g.id == group)
            .and_then(|g| g.options.iter_mut().find(|o| o.id == option))
    {
        shown.reason = Some(reason);
        shown.fix = fix;
    }
}

/// The cheapest valid completion of `choices`, within the buyer's budget when one can be (the
/// engine's ILP with a price limit), else the cheapest at all; and whether it is within.
pub fn cheapest(
    engine: &Configurator,
    facts: &ProductFacts,
    choices: &Choices,
    sold_out: &BTreeSet<(String, String)>,
    budget: Option<i64>,
) -> Result<(Option<Choices>, bool), configurator::ChoiceError> {
    // The engine's totals leave out the product's base price; the budget is what the buyer pays.
    if let Some(budget) = budget {
        let limit = Limit::MaxTotalPrice(budget - facts.base_price);
        if let Some(found) = engine.cheapest_completion(choices, sold_out, &[limit])? {
            return Ok((Some(found), true));
        }
    }
    Ok((
        engine.cheapest_completion(choices, sold_out, &[])?,
        budget.is_none(),
    ))
}

/// A quote as the buyer reads it: the product's base price first, then the engine's lines;
/// with the total they add up to.
pub fn quote_lines(base_price: i64, quote: configurator::Quote) -> (i64, Vec<QuoteLine>) {
    let mut lines = vec![QuoteLine {
        label: "Base price".into(),
        amount: base_price,
    }];
    lines.extend(quote.lines.into_iter().map(|line| QuoteLine {
        label: line.label,
        amount: line.amount,
    }));
    (base_price + quote.total, lines)
}

/// (group name, option name) for each group of `configuration`, in the rule set's order.
pub fn named_options(engine: &Configurator, configuration: &Choices) -> Vec<(String, String)> {
    engine
        .rules()
        .groups
        .iter()
        .filter_map(|group| {
            let chosen = configuration.get(&group.id)?;
            let name = group
                .options
                .iter()
                .find(|option| &option.id == chosen)
                .map_or("None", |option| option.name.as_str());
            Some((group.name.clone(), name.to_owned()))
        })
        .collect()
}

/// What taking `fix` would do to the buyer's configuration: each group whose option changes,
/// as (group name, from, to), and the new price.
pub fn preview(before: &ProductView, after: &ProductView) -> (Vec<(String, String, String)>, i64) {
    let name = |view: &ProductView, group: &GroupView| {
        view.groups
            .iter()
            .find(|g| g.id == group.id)
            .and_then(|g| g.options.iter().find(|o| o.id == g.selected))
            .map(|o| o.name.clone())
            .unwrap_or_else(|| "None".to_owned())
    };
    let changes = after
        .groups
        .iter()
        .filter_map(|group| {
            let old = before.groups.iter().find(|g| g.id == group.id)?;
            (old.selected != group.selected)
                .then(|| (group.name.clone(), name(before, old), name(after, group)))
        })
        .collect();
    (changes, after.price)
}

/// "+€120.00", "−€40.00" or "included": what choosing an option does to the price.
pub fn delta_label(delta: i64) -> String {
    match delta {
        0 => "included".to_owned(),
        d if d > 0 => format!("+{}", format_price(d)),
        d => format_price(d),
    }
}
