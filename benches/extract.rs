//! Micro-benchmark (`cargo bench --bench extract`): extracting the article of a French news
//! page (`tests/fixtures/web/article-fr.html`: a ~430-word article inside menus, a cookie
//! banner, related links, a newsletter box and comments), decoding included; then the same
//! article inside ~90 KB of boilerplate, nearer the weight of a real news site's page.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kiosque::web::charset::decode_html;
use kiosque::web::extract;

fn bench_extract(c: &mut Criterion) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/web/article-fr.html"
    );
    let bytes = std::fs::read(path).unwrap();
    let url = url::Url::parse("https://www.courrier-sahel.example/economie/2024/03/14/nouakchott-usine-dessalement-tevragh-zeina").unwrap();
    let mut group = c.benchmark_group("web");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("extract article-fr.html", |b| {
        b.iter(|| {
            let (html, _) = decode_html(black_box(&bytes), Some("utf-8")).unwrap();
            extract(&html, &url).unwrap()
        })
    });
    // A heavier page, nearer a real news site's weight: the same article inside ~90 KB of
    // menus, scripts, related links and comments.
    let page = String::from_utf8_lossy(&bytes).into_owned();
    let start = page.find("<section class=\"related-articles\">").unwrap();
    let end = page.find("</main>").unwrap();
    let boilerplate = format!(
        "<script>var cfg = {{\"ads\": [{}]}};</script>",
        vec!["\"slot\""; 2000].join(",")
    ) + &page[start..end].repeat(60);
    let heavy = format!("{}{}{}", &page[..end], boilerplate, &page[end..]);
    let heavy = heavy.replacen(
        "<main>",
        &format!("<main>{}", &page[start..end].repeat(20)),
        1,
    );
    group.throughput(Throughput::Bytes(heavy.len() as u64));
    group.bench_function(
        format!("extract heavy page ({} KB)", heavy.len() / 1000),
        |b| b.iter(|| extract(black_box(&heavy), &url).unwrap()),
    );
    group.finish();
}

criterion_group!(benches, bench_extract);
criterion_main!(benches);
