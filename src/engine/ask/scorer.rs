//! The learned scorer: two small logistic models, learned offline by
//! `scripts/train-ranker.py` from our development sets' training parts and written to
//! `ranker.json` beside this file, compiled in. The first gives each candidate the
//! probability that it answers; the second, from the best candidates together, the
//! probability that the reply's first passages hold the answer: the claim. The threshold of
//! the claim was chosen on the sets' check parts for a precision of 0.94 or more.
//!
//! Each model names its features: the JSON is read by name, so a model and the code that
//! computes its features cannot silently disagree (a unit test reads the committed file).

use std::sync::OnceLock;

use serde::Deserialize;

use super::features;

/// One logistic model over named features: p = σ(bias + Σ wᵢ (xᵢ − meanᵢ) / scaleᵢ).
#[derive(Debug, Clone, Deserialize)]
struct Logistic {
    features: Vec<String>,
    mean: Vec<f32>,
    scale: Vec<f32>,
    weights: Vec<f32>,
    bias: f32,
}

/// A logistic model with its features put in the order the code computes them.
#[derive(Debug, Clone)]
pub(crate) struct Model {
    /// For each computed feature: (mean, weight / scale); 0 weight for a feature the model
    /// does not use.
    terms: Vec<(f32, f32)>,
    bias: f32,
}

impl Model {
    fn new(m: &Logistic, names: &[&str]) -> Result<Model, String> {
        let n = m.features.len();
        if m.mean.len() != n || m.scale.len() != n || m.weights.len() != n {
            return Err("features, mean, scale and weights differ in length".into());
        }
        let mut terms = vec![(0.0, 0.0); names.len()];
        for (i, name) in m.features.iter().enumerate() {
            let at = names
                .iter()
                .position(|k| k == name)
                .ok_or_else(|| format!("unknown feature {name:?}"))?;
            let scale = if m.scale[i].abs() > f32::EPSILON {
                m.scale[i]
            } else {
                1.0
            };
            terms[at] = (m.mean[i], m.weights[i] / scale);
        }
        Ok(Model {
            terms,
            bias: m.bias,
        })
    }

    /// The probability for features `x`, in the code's order.
    pub fn p(&self, x: &[f32]) -> f32 {
        let z: f32 = self.bias
            + self
                .terms
                .iter()
                .zip(x)
                .map(|(&(mean, w), &v)| w * (v - mean))
                .sum::<f32>();
        1.0 / (1.0 + (-z).exp())
    }
}

/// The models of one configuration, as written.
#[derive(Debug, Clone, Deserialize)]
struct Fitted {
    rank: Logistic,
    claim: Logistic,
    threshold: f32,
}

#[derive(Debug, Clone, Deserialize)]
struct File {
    /// For questions searched by their words alone.
    lexical: Fitted,
    /// For questions searched by meaning too (none: the lexical models).
    semantic: Option<Fitted>,
    /// Passages are shown beside the best (answering or related) when their probability
    /// reaches this.
    show: f32,
    /// With meaning, a passage that holds no word of the question is related when its
    /// cosine reaches this.
    related_cosine: f32,
}

/// The models of one configuration.
#[derive(Debug, Clone)]
pub(crate) struct Models {
    pub rank: Model,
    pub claim: Model,
    /// The claim's probability needed to answer.
    pub threshold: f32,
}

impl Models {
    fn new(f: &Fitted) -> Result<Models, String> {
        Ok(Models {
            rank: Model::new(&f.rank, &features::CANDIDATE)?,
            claim: Model::new(&f.claim, &features::CLAIM)?,
            threshold: f.threshold,
        })
    }
}

/// The fitted scorer.
#[derive(Debug, Clone)]
pub(crate) struct Scorer {
    pub lexical: Models,
    pub semantic: Models,
    pub show: f32,
    pub related_cosine: f32,
}

impl Scorer {
    fn parse(json: &str) -> Result<Scorer, String> {
        let f: File = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let lexical = Models::new(&f.lexical)?;
        Ok(Scorer {
            semantic: match &f.semantic {
                Some(s) => Models::new(s)?,
                None => lexical.clone(),
            },
            lexical,
            show: f.show,
            related_cosine: f.related_cosine,
        })
    }

    /// The models for a question searched by meaning or not.
    pub fn models(&self, semantic: bool) -> &Models {
        if semantic {
            &self.semantic
        } else {
            &self.lexical
        }
    }
}

/// The scorer learned from the development sets, compiled in.
pub(crate) fn scorer() -> &'static Scorer {
    static FITTED: OnceLock<Scorer> = OnceLock::new();
    FITTED.get_or_init(|| {
        Scorer::parse(include_str!("ranker.json")).unwrap_or_else(|e| {
            // ranker.json is read by a unit test, so this is never reached in a build that
            // passed its tests; a scorer that never claims is the safe side
            tracing::error!("ranker.json: {e}");
            let never = Models {
                rank: Model {
                    terms: vec![],
                    bias: 0.0,
                },
                claim: Model {
                    terms: vec![],
                    bias: -10.0,
                },
                threshold: 1.0,
            };
            Scorer {
                lexical: never.clone(),
                semantic: never,
                show: 1.0,
                related_cosine: 2.0,
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_scorer_is_read() {
        let s = Scorer::parse(include_str!("ranker.json")).unwrap();
        for m in [&s.lexical, &s.semantic] {
            assert!((0.0..=1.0).contains(&m.threshold));
            assert!(m.rank.terms.iter().any(|t| t.1 != 0.0));
            assert!(m.claim.terms.iter().any(|t| t.1 != 0.0));
        }
    }

    #[test]
    fn features_are_matched_by_name() {
        let json = r#"{"features": ["exact", "coverage"], "mean": [0.5, 0.0],
                       "scale": [0.5, 1.0], "weights": [2.0, 0.0], "bias": -1.0}"#;
        let m: Logistic = serde_json::from_str(json).unwrap();
        let model = Model::new(&m, &features::CANDIDATE).unwrap();
        let mut x = [0.0f32; features::CANDIDATE.len()];
        x[1] = 1.0; // exact
                    // z = -1 + 2 * (1 - 0.5) / 0.5 = 1
        assert!((model.p(&x) - 1.0 / (1.0 + (-1.0f32).exp())).abs() < 1e-6);
        let bad = r#"{"features": ["nope"], "mean": [0], "scale": [1], "weights": [1], "bias": 0}"#;
        let m: Logistic = serde_json::from_str(bad).unwrap();
        assert!(Model::new(&m, &features::CANDIDATE).is_err());
    }
}
