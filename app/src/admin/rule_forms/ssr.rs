//! The forms' work on the server: one form's change (`super::edit`) applied to the draft the form
//! was opened on and saved through the rule console's draft save, so the revision check and the
//! audit log are the JSON editor's.

use configurator::RuleSet;

use super::RuleFormsView;
use crate::admin::rules::parse_rules;
use crate::admin::rules::ssr::{check_text, save_draft_as, working};
use crate::error::AppError;
use crate::session::Customer;
use crate::state::AppState;

pub async fn view(state: &AppState, slug: &str) -> Result<RuleFormsView, AppError> {
    let working = working(state, slug).await?;
    let rules = parse_rules(&working.text);
    let check = check_text(state, working.text).await?;
    Ok(RuleFormsView {
        slug: slug.to_owned(),
        name: working.name,
        version: working.version,
        revision: working.revision,
        rules,
        check,
    })
}

/// Applies one form's change to the draft at `revision` (or to the published rules when there
/// is no draft yet) and saves it; `apply` says what changed, for the audit log.
pub async fn edit(
    state: &AppState,
    merchandiser: &Customer,
    slug: &str,
    revision: i64,
    apply: impl FnOnce(&mut RuleSet) -> Result<String, AppError>,
) -> Result<(), AppError> {
    let working = working(state, slug).await?;
    if working.revision != revision {
        return Err(AppError::Conflict(format!(
            "The draft changed since you opened this form (it is at revision {} now). Nothing was saved: reload to see the changes, then make yours again.",
            working.revision
        )));
    }
    let mut rules = parse_rules(&working.text).map_err(|e| {
        AppError::validation(format!(
            "The draft cannot be edited in forms until its JSON is fixed in the JSON editor. {e}"
        ))
    })?;
    let what = apply(&mut rules)?;
    let json = serde_json::to_string_pretty(&rules)
        .map_err(|e| crate::error::internal(format_args!("a rule set did not serialise: {e}")))?;
    save_draft_as(
        state,
        merchandiser,
        slug,
        &json,
        revision,
        &format!("draft: {what}"),
    )
    .await?;
    leptos_axum::redirect(&format!("/admin/products/{slug}/rules/edit?saved=1#check"));
    Ok(())
}
