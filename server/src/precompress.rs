//! Brotli and gzip copies of the built assets (`.br`, `.gz` beside each wasm, JS and CSS
//! file), written once at start-up on a blocking thread, so every download after that is served
//! compressed at the best ratio without compressing per request (`ServeDir::precompressed_*`).
//! Until a copy exists the response is compressed on the fly; a read-only site folder only
//! costs that.

use std::io::Write;
use std::path::{Path, PathBuf};

pub fn in_background(dir: PathBuf) {
    if !dir.is_dir() {
        return;
    }
    tokio::task::spawn_blocking(move || match compress_dir(&dir) {
        Ok(0) => {}
        Ok(written) => {
            tracing::info!(written, dir = %dir.display(), "precompressed the site assets")
        }
        Err(error) => {
            tracing::warn!(error = %error, dir = %dir.display(), "could not precompress the site assets")
        }
    });
}

/// Writes the missing or stale `.br` and `.gz` copies; returns how many it wrote.
pub fn compress_dir(dir: &Path) -> std::io::Result<usize> {
    let mut written = 0;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let compressible = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "wasm" | "js" | "css" | "svg" | "json"));
        if !compressible {
            continue;
        }
        let source = std::fs::read(&path)?;
        let modified = std::fs::metadata(&path)?.modified()?;
        for (suffix, compress) in [
            ("br", brotli_bytes as fn(&[u8]) -> std::io::Result<Vec<u8>>),
            ("gz", gzip_bytes),
        ] {
            let target = PathBuf::from(format!("{}.{suffix}", path.display()));
            let fresh = std::fs::metadata(&target)
                .and_then(|m| m.modified())
                .is_ok_and(|at| at >= modified);
            if fresh {
                continue;
            }
            // Written beside, then renamed: a reader never sees half a file.
            let partial = PathBuf::from(format!("{}.{suffix}.partial", path.display()));
            std::fs::write(&partial, compress(&source)?)?;
            std::fs::rename(&partial, &target)?;
            written += 1;
        }
    }
    Ok(written)
}

fn brotli_bytes(source: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 64 * 1024, 11, 22);
        writer.write_all(source)?;
    }
    Ok(out)
}

fn gzip_bytes(source: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(source)?;
    encoder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_are_written_once_and_decompress_to_the_original() {
        let dir = std::env::temp_dir().join(format!("atelier-precompress-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let text = "body { color: #222; }\n".repeat(500);
        std::fs::write(dir.join("site.css"), &text).unwrap();
        std::fs::write(dir.join("notes.txt"), "not an asset").unwrap();
        assert_eq!(compress_dir(&dir).unwrap(), 2);
        assert_eq!(compress_dir(&dir).unwrap(), 0, "fresh copies are kept");
        let br = std::fs::read(dir.join("site.css.br")).unwrap();
        assert!(br.len() < text.len() / 10);
        let mut decoded = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut decoded).unwrap();
        assert_eq!(decoded, text.as_bytes());
        let gz = std::fs::read(dir.join("site.css.gz")).unwrap();
        let mut decoded = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut decoded)
            .unwrap();
        assert_eq!(decoded, text);
        assert!(!dir.join("notes.txt.br").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
