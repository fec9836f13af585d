//! Served like a real site: compressed pages and assets (precompressed brotli and gzip beside
//! the built files), cache headers by kind, HSTS on https, request ids that are ours.

mod common;

use common::*;
use reqwest::StatusCode;

/// A site folder with a built wasm and CSS, as cargo-leptos leaves it (hashed names).
fn site_root() -> std::path::PathBuf {
    let root = std::env::temp_dir().join(format!(
        "atelier-site-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    let pkg = root.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    // Compressible like real wasm: repetitive, not random.
    let wasm: Vec<u8> = (0..300_000u32)
        .map(|i| (i % 251) as u8 ^ (i / 997) as u8)
        .collect();
    std::fs::write(pkg.join("atelier.0123abcd.wasm"), &wasm).unwrap();
    std::fs::write(
        pkg.join("atelier.0123abcd.css"),
        "main { margin: 0 auto; }\n".repeat(400),
    )
    .unwrap();
    root
}

fn raw_client() -> reqwest::Client {
    // No automatic decompression: the test looks at what went over the wire.
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap()
}

#[tokio::test]
async fn hashed_assets_are_served_precompressed_and_cached_for_good() {
    let root = site_root();
    let shop = Shop::start_with(|config| {
        config.site_root = root.display().to_string();
        config.hash_files = true;
    })
    .await;
    let wasm_path = root.join("pkg/atelier.0123abcd.wasm");
    let br_path = root.join("pkg/atelier.0123abcd.wasm.br");
    // Precompression runs in the background at start-up.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !(br_path.exists() && root.join("pkg/atelier.0123abcd.wasm.gz").exists()) {
        assert!(
            std::time::Instant::now() < deadline,
            "no precompressed copies"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let client = raw_client();
    let response = client
        .get(shop.url("/pkg/atelier.0123abcd.wasm"))
        .header("accept-encoding", "br, gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers["content-encoding"], "br");
    assert_eq!(
        headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let body = response.bytes().await.unwrap();
    assert_eq!(body.as_ref(), std::fs::read(&br_path).unwrap().as_slice());
    assert!(body.len() * 4 < std::fs::metadata(&wasm_path).unwrap().len() as usize);
    let gzip = client
        .get(shop.url("/pkg/atelier.0123abcd.css"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gzip.headers()["content-encoding"], "gzip");
    let plain = client
        .get(shop.url("/pkg/atelier.0123abcd.css"))
        .send()
        .await
        .unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    let _ = std::fs::remove_dir_all(&root);
}

#[tokio::test]
async fn pages_are_compressed_and_never_cached_by_others() {
    let shop = Shop::start().await;
    let response = raw_client()
        .get(shop.url("/products/bicycle"))
        .header("accept-encoding", "br")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-encoding"], "br");
    assert_eq!(response.headers()["cache-control"], "private, no-cache");
    let api = shop.visitor().call("cart", &[]).await;
    assert_eq!(api.headers()["cache-control"], "no-store");
    let image = raw_client().get(shop.url("/healthz")).send().await.unwrap();
    assert!(
        image.headers().get("strict-transport-security").is_none(),
        "http site: no HSTS"
    );
}

#[tokio::test]
async fn an_https_site_sends_hsts_and_request_ids_are_the_servers_own() {
    let shop =
        Shop::start_with(|config| config.site_url = Some("https://shop.example".into())).await;
    let response = raw_client()
        .get(shop.url("/healthz"))
        .header("x-request-id", "forged\u{20}id")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
    let id = response.headers()["x-request-id"].to_str().unwrap();
    assert_ne!(id, "forged id");
    assert_eq!(id.len(), 16);
}
