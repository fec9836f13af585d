//! The `fake-stripe` binary as browser tests run it: configured by environment variables,
//! announcing its address on stdout, stopping on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn binary_serves_with_the_configured_key_and_reports_its_address() {
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fake-stripe"))
        .env("FAKE_STRIPE_ADDR", format!("127.0.0.1:{port}"))
        .env("FAKE_STRIPE_SECRET_KEY", "sk_test_from_env")
        .env("FAKE_STRIPE_WEBHOOK_URL", "http://127.0.0.1:9/webhook")
        .env("RUST_LOG", "off")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().unwrap();
    let child = KillOnDrop(child);

    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("binary announces itself");
    assert_eq!(
        line.trim(),
        format!("fake-stripe listening on http://127.0.0.1:{port}")
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let webhook: serde_json::Value = http
            .get(format!("{base}/_test/webhook"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(webhook["url"], "http://127.0.0.1:9/webhook");
        let ok = http
            .get(format!("{base}/v1/checkout/sessions"))
            .bearer_auth("sk_test_from_env")
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 200);
        let refused = http
            .get(format!("{base}/v1/checkout/sessions"))
            .bearer_auth(fake_stripe::DEFAULT_SECRET_KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 401);
    });

    let mut child = child;
    let term = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(term.success());
    let status = wait_with_deadline(&mut child);
    assert!(
        status.success(),
        "SIGTERM stops the fake cleanly: {status:?}"
    );
}

fn wait_with_deadline(child: &mut KillOnDrop) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            return status;
        }
        assert!(std::time::Instant::now() < deadline, "binary did not exit");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn binary_refuses_a_non_loopback_address() {
    let child = Command::new(env!("CARGO_BIN_EXE_fake-stripe"))
        .env("FAKE_STRIPE_ADDR", "0.0.0.0:0")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let mut child = KillOnDrop(child);
    let status = wait_with_deadline(&mut child);
    assert!(!status.success());
}
