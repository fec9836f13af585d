//! What the help centre gives the index: articles, synonyms and shoppers' votes.

use serde::{Deserialize, Serialize};

/// One help-centre entry. `answer` may carry light Markdown or HTML; the index and the snippets
/// use its text, not its markup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    pub id: String,
    pub question: String,
    pub answer: String,
    /// More text that answers the question (further answers, notes); weighted below `answer`.
    #[serde(default)]
    pub extra: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

impl Article {
    pub fn new(
        id: impl Into<String>,
        question: impl Into<String>,
        answer: impl Into<String>,
    ) -> Article {
        Article {
            id: id.into(),
            question: question.into(),
            answer: answer.into(),
            extra: Vec::new(),
            category: None,
            tags: Vec::new(),
        }
    }
}

/// Words or phrases the shop treats as the same ("e-bike", "electric bicycle", "pedelec"),
/// all ways round: a query containing any of them also looks for the others, at a lower weight
/// than the words typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Synonym {
    pub term: String,
    pub alternatives: Vec<String>,
}

impl Synonym {
    pub fn new<S: Into<String>>(
        term: impl Into<String>,
        alternatives: impl IntoIterator<Item = S>,
    ) -> Synonym {
        Synonym {
            term: term.into(),
            alternatives: alternatives.into_iter().map(Into::into).collect(),
        }
    }
}

/// A shopper's answer to "Did this help?" after searching `query` and opening `article`.
/// The help centre stores these (and lets staff list and delete them); the index is built from
/// whatever evidence is current.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Evidence {
    pub query: String,
    pub article: String,
    pub helpful: bool,
}

impl Evidence {
    pub fn new(query: impl Into<String>, article: impl Into<String>, helpful: bool) -> Evidence {
        Evidence {
            query: query.into(),
            article: article.into(),
            helpful,
        }
    }
}
