//! Tests of [`super`]: every reply within Discord's limits, corpus text escaped and never a
//! mention, the asker's language, and where and when each passage comes from.

use super::*;
use crate::articles::ArticleRef;
use crate::engine::Listed;

fn total(r: &Reply) -> usize {
    r.embeds.iter().map(Embed::len).sum()
}

fn check_limits(r: &Reply) {
    assert!(r.content.as_deref().map_or(0, |c| c.chars().count()) <= limits::CONTENT);
    assert!(r.embeds.len() <= limits::EMBEDS);
    assert!(total(r) <= limits::EMBEDS_TOTAL, "{}", total(r));
    for e in &r.embeds {
        assert!(e.title.as_deref().map_or(0, |t| t.chars().count()) <= limits::TITLE);
        assert!(e.description.as_deref().map_or(0, |t| t.chars().count()) <= limits::DESCRIPTION);
        assert!(e.fields.len() <= limits::FIELDS);
        for f in &e.fields {
            assert!(f.name.chars().count() <= limits::FIELD_NAME);
            assert!(f.value.chars().count() <= limits::FIELD_VALUE);
        }
    }
}

fn hit(passage: &str) -> Hit {
    Hit {
        article: ArticleRef {
            id: "a".into(),
            title: "é".repeat(300),
            source: "corpus/a.txt".into(),
            ..ArticleRef::default()
        },
        paragraph: 1,
        passage: passage.into(),
        answer: None,
        score: 1.0,
        marks: std::iter::once(0..3).collect(),
        answer_span: None,
    }
}

#[test]
fn long_french_answers_fit_every_limit() {
    let passage = "Sécurité à la frontière ".repeat(200);
    let a = Answer {
        question: "q".into(),
        answered: true,
        hits: (0..10).map(|_| hit(&passage)).collect(),
        asks: crate::lang::cues::Asks::Other,
        confidence: 1.0,
        related: vec![],
        semantic: false,
        by_meaning: false,
        closest: vec![],
        lang: Lang::En,
        // a long question, every word translated: the list is cut, escaped
        translations: (0..300)
            .map(|i| crate::engine::Translated {
                word: format!("@everyone{i}"),
                into: vec!["*frontière*".into(), "lisière".into()],
            })
            .collect(),
        took_ms: 0.2,
        candidates: vec![],
    };
    let r = answer(&a, Lang::Fr, false);
    check_limits(&r);
    let c = r.content.as_deref().unwrap();
    assert!(c.starts_with("-# Mots traduits : "), "{c}");
    assert!(
        !c.contains("@everyone") && c.contains("\\*frontière\\*"),
        "{c}"
    );
    assert!(c.chars().count() <= limits::CONTENT / 2);
    assert_eq!(r.embeds.len(), 10);
    let d = r.embeds[0].description.as_deref().unwrap();
    assert!(d.ends_with('…'), "{d}");
    assert!(d.starts_with("**Sé**"), "{d}");
    assert!(r.embeds[0].title.as_deref().unwrap().ends_with('…'));
}

#[test]
fn no_answer_lists_closest_titles_escaped() {
    let a = Answer {
        question: "q".into(),
        answered: false,
        hits: vec![],
        asks: crate::lang::cues::Asks::Other,
        confidence: 0.1,
        related: vec![],
        semantic: false,
        by_meaning: false,
        closest: vec!["@everyone *Mali*".into()],
        lang: Lang::Fr,
        translations: vec![],
        took_ms: 0.1,
        candidates: vec![],
    };
    let r = answer(&a, Lang::En, true);
    let c = r.content.unwrap();
    assert!(c.starts_with("The articles do not answer this question."));
    assert!(c.contains("\\*Mali\\*") && !c.contains("@everyone"));
    assert!(r.ephemeral);
    let fr = answer(&a, Lang::Fr, false).content.unwrap();
    assert!(fr.starts_with("Les articles ne répondent pas"));
}

#[test]
fn related_passages_come_under_their_heading() {
    let a = Answer {
        question: "q".into(),
        answered: false,
        hits: vec![],
        asks: crate::lang::cues::Asks::Other,
        confidence: 0.3,
        related: vec![hit("Une patrouille @everyone à la frontière.")],
        semantic: false,
        by_meaning: false,
        closest: vec!["Mali".into()],
        lang: Lang::Fr,
        translations: vec![],
        took_ms: 0.1,
        candidates: vec![],
    };
    let fr = answer(&a, Lang::Fr, false);
    check_limits(&fr);
    assert_eq!(
        fr.content.as_deref(),
        Some("Pas de réponse directe dans les articles ; passages proches :")
    );
    assert_eq!(fr.embeds.len(), 1);
    let d = fr.embeds[0].description.as_deref().unwrap();
    assert!(d.contains("patrouille") && !d.contains("@everyone"), "{d}");
    let en = answer(&a, Lang::En, false);
    assert_eq!(
        en.content.as_deref(),
        Some("No direct answer in the articles; related passages:")
    );
    // found by meaning: said under the heading, in the asker's language
    let meant = Answer {
        semantic: true,
        by_meaning: true,
        ..a.clone()
    };
    let fr = answer(&meant, Lang::Fr, false);
    check_limits(&fr);
    let c = fr.content.as_deref().unwrap();
    assert!(c.starts_with("Pas de réponse directe"), "{c}");
    assert!(c.contains("Trouvé par le sens"), "{c}");
    let en = answer(
        &Answer {
            answered: true,
            hits: meant.related.clone(),
            related: vec![],
            ..meant
        },
        Lang::En,
        true,
    );
    assert_eq!(
        en.content.as_deref(),
        Some("-# Found by meaning (semantic search), not by the question's words.")
    );
    // searched by meaning, found by the words: nothing said
    let words = answer(
        &Answer {
            semantic: true,
            ..a
        },
        Lang::En,
        false,
    );
    assert!(!words.content.unwrap().contains("meaning"));
}

#[test]
fn article_pages() {
    let list: Vec<Listed> = (0..23)
        .map(|i| Listed {
            article: ArticleRef {
                id: format!("a{i}"),
                title: format!("Titre {i} ").repeat(60),
                source: format!("corpus/a{i}.txt"),
                ..ArticleRef::default()
            },
            author: None,
            lang: Lang::Fr,
            passages: 3,
            path: format!("a{i}.txt"),
            bytes: 1,
        })
        .collect();
    let page = |n: usize, articles: &[Listed]| ArticlePage {
        articles: articles.to_vec(),
        page: n,
        pages: 3,
        total: 23,
        passages: 69,
    };
    let p1 = articles(&page(1, &list[..10]), Lang::En);
    check_limits(&p1);
    assert_eq!(p1.embeds[0].fields.len(), ARTICLES_PER_PAGE);
    let footer = p1.embeds[0].footer.as_deref().unwrap();
    assert!(
        footer.contains("page 1/3") && footer.contains("page:2"),
        "{footer}"
    );
    assert!(p1.embeds[0].title.as_deref().unwrap().contains("(23)"));
    let p3 = articles(&page(3, &list[20..]), Lang::En);
    assert_eq!(p3.embeds[0].fields.len(), 3);
    assert!(p3.embeds[0].footer.as_deref().unwrap().contains("page 3/3"));
    let empty = ArticlePage {
        articles: vec![],
        page: 1,
        pages: 1,
        total: 0,
        passages: 0,
    };
    assert_eq!(
        articles(&empty, Lang::Fr).content.as_deref(),
        Some("Aucun article n’est indexé.")
    );
}

fn answered(hits: Vec<Hit>) -> Answer {
    Answer {
        question: "q".into(),
        answered: true,
        hits,
        asks: crate::lang::cues::Asks::Other,
        confidence: 1.0,
        related: vec![],
        semantic: false,
        by_meaning: false,
        closest: vec![],
        lang: Lang::Fr,
        translations: vec![],
        took_ms: 0.2,
        candidates: vec![],
    }
}

#[test]
fn embeds_name_the_site_and_carry_the_date() {
    let dated = Hit {
        article: ArticleRef {
            id: "a".into(),
            title: "Un titre".into(),
            source: "https://www.lemonde.fr/a".into(),
            url: Some("https://www.lemonde.fr/a".into()),
            site: Some("Le Monde".into()),
            date: Some("2024-05-09T10:30:00+02:00".into()),
        },
        ..hit("Le texte.")
    };
    let dated_on = |date: &str| Hit {
        article: ArticleRef {
            date: Some(date.into()),
            ..dated.article.clone()
        },
        ..dated.clone()
    };
    let day_only = dated_on("2024-05-09");
    let garbage = dated_on("jeudi dernier");
    let r = answer(
        &answered(vec![dated, day_only, garbage, hit("Autre.")]),
        Lang::Fr,
        false,
    );
    check_limits(&r);
    let footers: Vec<&str> = r
        .embeds
        .iter()
        .map(|e| e.footer.as_deref().unwrap())
        .collect();
    assert_eq!(
        footers[0],
        "Le Monde · https://www.lemonde.fr/a · paragraphe 1"
    );
    assert_eq!(footers[3], "corpus/a.txt · paragraphe 1 · 0.20 ms");
    assert_eq!(r.embeds[0].url.as_deref(), Some("https://www.lemonde.fr/a"));
    let stamps: Vec<Option<i64>> = r.embeds.iter().map(|e| e.timestamp).collect();
    assert_eq!(
        stamps,
        vec![Some(1_715_243_400), Some(1_715_212_800), None, None]
    );
    // a summary the same way
    let s = Summary {
        article: ArticleRef {
            id: "a".into(),
            title: "Un titre".into(),
            source: "https://www.lemonde.fr/a".into(),
            url: Some("https://www.lemonde.fr/a".into()),
            date: Some("2024-05-09".into()),
            site: Some("Le Monde".into()),
        },
        sentences: vec![],
    };
    let e = &summary(&s, Lang::En).embeds[0];
    assert_eq!(
        e.footer.as_deref(),
        Some("Summary · Le Monde · https://www.lemonde.fr/a")
    );
    assert_eq!(e.timestamp, Some(1_715_212_800));
}

#[test]
fn sites_never_ping_and_fit() {
    let pinging = |site: &str| {
        let h = hit("Le texte.");
        Hit {
            article: ArticleRef {
                site: Some(site.into()),
                date: Some("2024-05-09".into()),
                ..h.article.clone()
            },
            ..h
        }
    };
    let r = answer(
        &answered(vec![
            pinging("@everyone"),
            pinging("<@123>"),
            pinging("<@&456> @here"),
        ]),
        Lang::En,
        false,
    );
    check_limits(&r);
    for e in &r.embeds {
        let f = e.footer.as_deref().unwrap();
        assert!(
            !f.contains("@everyone")
                && !f.contains("<@1")
                && !f.contains("<@&")
                && !f.contains("@here"),
            "{f}"
        );
    }
    // ten long passages from a site of a thousand characters: every limit holds, and the
    // footer keeps its paragraph
    let long = {
        let h = hit(&"Sécurité à la frontière ".repeat(200));
        Hit {
            article: ArticleRef {
                site: Some("Le Monde ".repeat(120)),
                ..h.article.clone()
            },
            ..h
        }
    };
    let r = answer(&answered(vec![long; 10]), Lang::Fr, false);
    check_limits(&r);
    assert_eq!(r.embeds.len(), 10);
    for e in &r.embeds {
        let f = e.footer.as_deref().unwrap();
        assert!(f.chars().count() <= limits::FOOTER);
        assert!(f.contains("· paragraphe 1"), "{f}");
    }
    // in a topic summary's fields, escaped like the rest of the corpus text
    let t = TopicSummary {
        topic: "q".into(),
        sentences: vec![crate::engine::TopicSentence {
            text: "Une phrase.".into(),
            article: ArticleRef {
                id: "a".into(),
                title: "Un titre".into(),
                source: "corpus/a.md".into(),
                site: Some("@everyone *Le Monde*".into()),
                ..ArticleRef::default()
            },
            position: 1,
        }],
    };
    let r = topic(&t, Lang::Fr);
    check_limits(&r);
    let v = &r.embeds[0].fields[0].value;
    assert!(
        !v.contains("@everyone") && v.contains("\\*Le Monde\\*"),
        "{v}"
    );
}

#[test]
fn locales() {
    assert_eq!(lang_of_locale("fr"), Lang::Fr);
    assert_eq!(lang_of_locale("fr-FR"), Lang::Fr);
    assert_eq!(lang_of_locale("en-US"), Lang::En);
    assert_eq!(lang_of_locale("de"), Lang::En);
    assert_eq!(lang_of_locale("es-ES"), Lang::En);
}
