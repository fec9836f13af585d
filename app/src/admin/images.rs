//! Product images a merchandiser uploads. The type is read from the file's content, never from
//! its name or the browser's word: PNG, JPEG and WebP by their signatures, SVG by parsing it. An
//! SVG with anything that could run or fetch (scripts, event handlers, embedded HTML, links
//! outside the file) is refused, and every image is served with `nosniff` and a sandboxing CSP
//! so that even one that slipped through could not run on the shop's origin. Images live in the
//! database, so every app server serves the same ones.

/// What a new product shows until it has an image of its own.
pub const PLACEHOLDER: &str = "/images/placeholder.svg";

/// The largest image accepted.
pub const MAX_IMAGE_BYTES: usize = 2 * 1024 * 1024;

/// Where uploaded images are served: `/images/u/{id}.{ext}`.
pub const UPLOADED_PREFIX: &str = "/images/u/";

#[cfg(feature = "ssr")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageKind {
    Png,
    Jpeg,
    Webp,
    Svg,
}

#[cfg(feature = "ssr")]
impl ImageKind {
    pub fn content_type(self) -> &'static str {
        match self {
            ImageKind::Png => "image/png",
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Webp => "image/webp",
            ImageKind::Svg => "image/svg+xml",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ImageKind::Png => "png",
            ImageKind::Jpeg => "jpg",
            ImageKind::Webp => "webp",
            ImageKind::Svg => "svg",
        }
    }
}

/// Why an upload was refused, in the merchandiser's words. Each has a short code, which is
/// all the redirect after the upload carries (a URL never holds free text we did not write).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Empty,
    TooBig,
    NotAnImage,
    UnsafeSvg,
    Stale,
    Failed,
}

impl Refusal {
    pub const ALL: [Refusal; 6] = [
        Refusal::Empty,
        Refusal::TooBig,
        Refusal::NotAnImage,
        Refusal::UnsafeSvg,
        Refusal::Stale,
        Refusal::Failed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Refusal::Empty => "empty",
            Refusal::TooBig => "too-big",
            Refusal::NotAnImage => "not-an-image",
            Refusal::UnsafeSvg => "unsafe-svg",
            Refusal::Stale => "stale",
            Refusal::Failed => "failed",
        }
    }

    pub fn of_code(code: &str) -> Option<Refusal> {
        Refusal::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn message(self) -> String {
        match self {
            Refusal::Empty => "Choose an image file to upload.".into(),
            Refusal::TooBig => format!(
                "That file is larger than {} MB. Nothing was saved; make the image smaller and try again.",
                MAX_IMAGE_BYTES / (1024 * 1024)
            ),
            Refusal::NotAnImage => {
                "That file is not a PNG, JPEG, WebP or SVG image (whatever its name says). Nothing was saved.".into()
            }
            Refusal::UnsafeSvg => {
                "That SVG contains scripts, event handlers, embedded HTML or links to other files, which could run in a buyer's browser. Nothing was saved; export it again as a plain drawing.".into()
            }
            Refusal::Stale => {
                "Someone else changed this product while you were choosing the image. Nothing was saved; try the upload again.".into()
            }
            Refusal::Failed => "The upload did not arrive whole. Nothing was saved; please try again.".into(),
        }
    }
}

#[cfg(feature = "ssr")]
pub use content::{inspect, svg_is_safe};

/// Reading an upload's content: server-side only (the browser never needs the XML parser).
#[cfg(feature = "ssr")]
mod content {
    use super::{ImageKind, MAX_IMAGE_BYTES, Refusal};

    /// The image's type from its content, or why it is refused.
    pub fn inspect(bytes: &[u8]) -> Result<ImageKind, Refusal> {
        if bytes.is_empty() {
            return Err(Refusal::Empty);
        }
        if bytes.len() > MAX_IMAGE_BYTES {
            return Err(Refusal::TooBig);
        }
        // PNG: the signature, then the IHDR chunk first.
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            return if bytes.len() > 24 && &bytes[12..16] == b"IHDR" {
                Ok(ImageKind::Png)
            } else {
                Err(Refusal::NotAnImage)
            };
        }
        // JPEG: start of image, then a marker.
        if bytes.len() > 4 && bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            return Ok(ImageKind::Jpeg);
        }
        // WebP: a RIFF container of kind WEBP with a VP8 chunk.
        if bytes.len() > 16 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            return if bytes[12..16].starts_with(b"VP8") {
                Ok(ImageKind::Webp)
            } else {
                Err(Refusal::NotAnImage)
            };
        }
        let text = std::str::from_utf8(bytes).map_err(|_| Refusal::NotAnImage)?;
        match svg_is_safe(text) {
            Some(true) => Ok(ImageKind::Svg),
            Some(false) => Err(Refusal::UnsafeSvg),
            None => Err(Refusal::NotAnImage),
        }
    }

    /// Elements that run script, embed other documents or play media: never in a product image.
    const UNSAFE_ELEMENTS: [&str; 16] = [
        "script",
        "foreignobject",
        "iframe",
        "embed",
        "object",
        "handler",
        "listener",
        "audio",
        "video",
        "canvas",
        "frame",
        "frameset",
        "meta",
        "link",
        "base",
        "html",
    ];

    /// `Some(true)` for a well-formed SVG with nothing that runs or fetches, `Some(false)` for an
    /// SVG that has such things, `None` for text that is not an SVG document at all.
    pub fn svg_is_safe(text: &str) -> Option<bool> {
        use quick_xml::events::Event;
        use quick_xml::{Reader, XmlVersion};
        let mut reader = Reader::from_str(text.trim_start_matches('\u{feff}'));
        let mut root_seen = false;
        let mut in_style = false;
        let mut safe = true;
        loop {
            let event = reader.read_event().ok()?;
            let opens = matches!(event, Event::Start(_));
            match event {
                Event::Start(e) | Event::Empty(e) => {
                    let name = e.local_name().as_ref().to_ascii_lowercase();
                    if !root_seen {
                        if name != "svg" {
                            return None;
                        }
                        root_seen = true;
                    }
                    if UNSAFE_ELEMENTS.contains(&name.as_str()) {
                        safe = false;
                    }
                    in_style = name == "style" && opens;
                    for attribute in e.attributes() {
                        let attribute = attribute.ok()?;
                        let key = attribute.key.local_name().as_ref().to_ascii_lowercase();
                        let value = attribute
                            .normalized_value(XmlVersion::Implicit1_0)
                            .ok()?
                            .into_owned();
                        if !attribute_is_safe(&key, &value) {
                            safe = false;
                        }
                    }
                }
                Event::End(_) => in_style = false,
                Event::Text(t) if in_style => safe &= css_is_safe(&t.into_inner()),
                Event::CData(t) if in_style => safe &= css_is_safe(&t.into_inner()),
                // An entity inside a style sheet could spell out what the checks look for.
                Event::GeneralRef(_) if in_style => safe = false,
                // A DOCTYPE can declare entities (billion laughs, external files); an SVG needs none.
                Event::DocType(_) => safe = false,
                Event::PI(_) => safe = false,
                Event::Eof => break,
                _ => {}
            }
        }
        root_seen.then_some(safe)
    }

    /// Letters only, lower case: what a browser reads from `java\nscript:` or `JaVaScRiPt:`.
    fn squeezed(value: &str) -> String {
        value
            .chars()
            .filter(|c| !c.is_whitespace() && !c.is_control())
            .flat_map(char::to_lowercase)
            .collect()
    }

    fn attribute_is_safe(key: &str, value: &str) -> bool {
        let squeezed = squeezed(value);
        if key.starts_with("on")
            || squeezed.contains("javascript:")
            || squeezed.contains("vbscript:")
        {
            return false;
        }
        match key {
            // Links only within the drawing, or to an embedded raster picture.
            "href" | "src" => {
                squeezed.starts_with('#')
                    || [
                        "data:image/png;",
                        "data:image/jpeg;",
                        "data:image/webp;",
                        "data:image/gif;",
                    ]
                    .iter()
                    .any(|prefix| squeezed.starts_with(prefix))
            }
            // Animating a link could turn it into a script URL.
            "attributename" => !squeezed.ends_with("href"),
            "style" => css_is_safe(value),
            _ => !squeezed.contains("url(") || only_local_urls(&squeezed),
        }
    }

    fn css_is_safe(css: &str) -> bool {
        let squeezed = squeezed(css);
        !squeezed.contains("@import")
            && !squeezed.contains("expression(")
            && !squeezed.contains('\\')
            && only_local_urls(&squeezed)
    }

    /// Every `url(` in `squeezed` points inside the drawing (`url(#…)`).
    fn only_local_urls(squeezed: &str) -> bool {
        squeezed.match_indices("url(").all(|(at, _)| {
            let rest = squeezed[at + 4..].trim_start_matches(['\'', '"']);
            rest.starts_with('#')
        })
    }
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use axum::extract::{Multipart, Path, State};
    use axum::response::{IntoResponse, Redirect, Response};
    use http::{HeaderMap, HeaderValue, StatusCode, header};
    use sha2::{Digest, Sha256};

    use super::{MAX_IMAGE_BYTES, Refusal, UPLOADED_PREFIX, inspect};
    use crate::admin::uploads::{FieldError, merchandiser_change, read_limited};
    use crate::db::{begin_write, new_id, now_ms};
    use crate::error::AppError;
    use crate::state::AppState;

    /// The most an upload request may carry: the image, the form's other fields and the
    /// multipart framing. Larger images up to this size get the readable refusal.
    pub const UPLOAD_BODY_LIMIT: usize = MAX_IMAGE_BYTES * 2;

    /// `POST /admin/catalogue/{slug}/image`, a multipart form with `revision` and `image`:
    /// checks the file, stores it and makes it the product's image, then goes back to the
    /// product's page with the outcome. Only merchandisers; the CSRF check applies as to every
    /// post.
    pub async fn upload(
        State(state): State<AppState>,
        Path(slug): Path<String>,
        headers: HeaderMap,
        multipart: Multipart,
    ) -> Response {
        if slug.len() > crate::limits::MAX_ID {
            return StatusCode::NOT_FOUND.into_response();
        }
        let merchandiser = match merchandiser_change(&state, &headers).await {
            Ok(merchandiser) => merchandiser,
            Err(response) => return response,
        };
        let page = format!("/admin/catalogue/{slug}");
        let outcome = receive(&state, &merchandiser, &slug, multipart).await;
        match outcome {
            Ok(()) => Redirect::to(&format!("{page}?image=uploaded")).into_response(),
            Err(Received::Refused(refusal)) => {
                tracing::info!(product = %slug, refusal = refusal.code(), "image upload refused");
                Redirect::to(&format!("{page}?image_error={}", refusal.code())).into_response()
            }
            Err(Received::Error(AppError::NotFound(message))) => {
                (StatusCode::NOT_FOUND, message).into_response()
            }
            Err(Received::Error(error)) => {
                tracing::warn!(product = %slug, %error, "image upload failed");
                Redirect::to(&format!("{page}?image_error={}", Refusal::Failed.code()))
                    .into_response()
            }
        }
    }

    enum Received {
        Refused(Refusal),
        Error(AppError),
    }

    impl From<AppError> for Received {
        fn from(error: AppError) -> Self {
            match error {
                AppError::Conflict(_) => Received::Refused(Refusal::Stale),
                other => Received::Error(other),
            }
        }
    }

    impl From<sqlx::Error> for Received {
        fn from(error: sqlx::Error) -> Self {
            Received::Error(error.into())
        }
    }

    async fn receive(
        state: &AppState,
        merchandiser: &crate::session::Customer,
        slug: &str,
        mut multipart: Multipart,
    ) -> Result<(), Received> {
        let mut revision: Option<i64> = None;
        let mut image: Option<Vec<u8>> = None;
        while let Some(mut field) = multipart
            .next_field()
            .await
            .map_err(|_| Received::Refused(Refusal::Failed))?
        {
            match field.name() {
                Some("revision") => {
                    let text = field
                        .text()
                        .await
                        .map_err(|_| Received::Refused(Refusal::Failed))?;
                    revision = text.trim().parse().ok();
                }
                Some("image") => {
                    let bytes =
                        read_limited(&mut field, MAX_IMAGE_BYTES)
                            .await
                            .map_err(|error| {
                                Received::Refused(match error {
                                    FieldError::TooBig => Refusal::TooBig,
                                    FieldError::Broken => Refusal::Failed,
                                })
                            })?;
                    image = Some(bytes);
                }
                _ => {}
            }
        }
        let revision = revision.ok_or(Received::Refused(Refusal::Failed))?;
        let bytes = image.unwrap_or_default();
        let kind = inspect(&bytes).map_err(Received::Refused)?;
        let id = new_id();
        let url = format!("{UPLOADED_PREFIX}{id}.{}", kind.extension());
        let mut tx = begin_write(&state.pool).await?;
        sqlx::query(
            "insert into images (id, content_type, data, byte_size, sha256, created_at, created_by)
             values ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(kind.content_type())
        .bind(bytes.as_slice())
        .bind(bytes.len() as i64)
        .bind(hex::encode(Sha256::digest(&bytes)))
        .bind(now_ms())
        .bind(&merchandiser.id)
        .execute(&mut *tx)
        .await?;
        crate::admin::catalogue::ssr::set_image(&mut tx, merchandiser, slug, revision, &url)
            .await?;
        tx.commit().await?;
        tracing::info!(by = %merchandiser.id, product = %slug, bytes = bytes.len(), kind = kind.extension(), "image uploaded");
        Ok(())
    }

    /// `GET /images/u/{file}`: an uploaded image, as the type its content was checked to be.
    /// Ids are random and an image never changes, so it is cached for good.
    pub async fn serve(State(state): State<AppState>, Path(file): Path<String>) -> Response {
        let Some((id, extension)) = file.split_once('.') else {
            return StatusCode::NOT_FOUND.into_response();
        };
        if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return StatusCode::NOT_FOUND.into_response();
        }
        let found: Result<Option<(String, Vec<u8>)>, sqlx::Error> =
            sqlx::query_as("select content_type, data from images where id = $1")
                .bind(id)
                .fetch_optional(&state.pool)
                .await;
        let (content_type, data) = match found {
            Ok(Some(found)) => found,
            Ok(None) => return StatusCode::NOT_FOUND.into_response(),
            Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
        };
        let kind = [
            super::ImageKind::Png,
            super::ImageKind::Jpeg,
            super::ImageKind::Webp,
            super::ImageKind::Svg,
        ]
        .into_iter()
        .find(|kind| kind.content_type() == content_type);
        if kind.map(|k| k.extension()) != Some(extension) {
            return StatusCode::NOT_FOUND.into_response();
        }
        let mut response = data.into_response();
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&content_type) {
            headers.insert(header::CONTENT_TYPE, value);
        }
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        // Opened on its own, an image may not run script, load anything or reach our cookies.
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox",
            ),
        );
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        );
        response
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::{ImageKind, Refusal, inspect, svg_is_safe};

    const PNG: &[u8] =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

    #[test]
    fn raster_images_are_known_by_their_content() {
        assert_eq!(inspect(PNG), Ok(ImageKind::Png));
        assert_eq!(
            inspect(b"\xff\xd8\xff\xe0\0\x10JFIF\0"),
            Ok(ImageKind::Jpeg)
        );
        assert_eq!(
            inspect(b"RIFF\x24\0\0\0WEBPVP8 \x18\0\0\0"),
            Ok(ImageKind::Webp)
        );
        assert_eq!(
            inspect(b"RIFF\x24\0\0\0WAVEfmt \x18\0\0\0"),
            Err(Refusal::NotAnImage)
        );
        assert_eq!(inspect(b""), Err(Refusal::Empty));
        assert_eq!(
            inspect(&vec![0u8; super::MAX_IMAGE_BYTES + 1]),
            Err(Refusal::TooBig)
        );
    }

    #[test]
    fn html_named_png_is_not_an_image() {
        let html = b"<!doctype html><html><body><script>alert(1)</script></body></html>";
        assert_eq!(inspect(html), Err(Refusal::NotAnImage));
        assert_eq!(
            inspect(b"<html><svg></svg></html>"),
            Err(Refusal::NotAnImage)
        );
        assert_eq!(inspect(b"GIF89a\x01\0\x01\0"), Err(Refusal::NotAnImage));
        assert_eq!(inspect(&[0xff, 0xfe, 0x00]), Err(Refusal::NotAnImage));
    }

    #[test]
    fn plain_drawings_pass() {
        let svg = r##"<?xml version="1.0" encoding="UTF-8"?>
            <!-- a lamp -->
            <svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10">
              <defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient></defs>
              <style>.a { fill: url(#g); stroke: #333 }</style>
              <rect class="a" width="10" height="10" fill="url(#g)" style="opacity: .5"/>
              <use xlink:href="#g"/><image href="data:image/png;base64,AAAA"/>
              <text>Tom &amp; Jerry</text>
            </svg>"##;
        assert_eq!(svg_is_safe(svg), Some(true));
        assert_eq!(inspect(svg.as_bytes()), Ok(ImageKind::Svg));
    }

    #[test]
    fn svgs_that_could_run_or_fetch_are_refused() {
        for svg in [
            r#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><s:script xmlns:s="http://www.w3.org/2000/svg">alert(1)</s:script></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><rect OnClick="alert(1)"/></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><a href="java&#x0A;script:alert(1)"><text>x</text></a></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><image href="https://tracker.example/p.png"/></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><set attributeName="href" to="javascript:alert(1)"/></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(https://evil.example/x.css);</style></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill: url(https://evil.example/x)"/></svg>"#,
            r#"<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg"><text>&a;</text></svg>"#,
            r#"<?xml-stylesheet href="https://evil.example/x.css"?><svg xmlns="http://www.w3.org/2000/svg"/>"#,
        ] {
            assert_eq!(svg_is_safe(svg), Some(false), "{svg}");
            assert_eq!(inspect(svg.as_bytes()), Err(Refusal::UnsafeSvg), "{svg}");
        }
    }

    #[test]
    fn broken_svg_is_not_an_image() {
        assert_eq!(svg_is_safe("<svg><rect></svg>"), None);
        assert_eq!(svg_is_safe("just text"), None);
        assert_eq!(svg_is_safe(""), None);
    }

    #[test]
    fn refusal_codes_read_back() {
        for refusal in Refusal::ALL {
            assert_eq!(Refusal::of_code(refusal.code()), Some(refusal));
        }
        assert_eq!(Refusal::of_code("<script>"), None);
    }
}
