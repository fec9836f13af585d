//! The binary as an operator runs it: JSON logs with a request id per request, and a clean exit
//! on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn the_binary_logs_json_with_request_ids_and_exits_cleanly_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("atelier-process-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/atelier.db", dir.display()),
        )
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("ATELIER_LOG_FORMAT", "json")
        .env("ATELIER_DEMO", "1")
        .env(
            "ATELIER_DEMO_MERCHANDISER_PASSWORD",
            "process-test-password",
        )
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server binary");
    let stdout = child.stdout.take().unwrap();
    let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let next_line = |deadline: Instant, wanted: &dyn Fn(&str) -> bool| -> String {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) if wanted(&line) => return line,
                Ok(_) => continue,
                Err(_) => panic!("the server did not print the expected line in time"),
            }
        }
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let banner = next_line(deadline, &|l| l.contains("Demo merchandiser"));
    assert!(
        banner.contains("merchandiser@atelier.test / process-test-password"),
        "{banner}"
    );
    next_line(deadline, &|l| l.contains("Atelier is serving"));

    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    use std::io::{Read, Write};
    write!(
        stream,
        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let request_id = response
        .lines()
        .find_map(|l| l.strip_prefix("x-request-id: "))
        .expect("a request id header")
        .trim()
        .to_owned();
    let log = next_line(Instant::now() + Duration::from_secs(10), &|l| {
        l.contains("request done")
    });
    let log: serde_json::Value = serde_json::from_str(&log).expect("JSON log line");
    assert_eq!(log["span"]["request_id"], request_id.as_str(), "{log}");
    assert_eq!(log["fields"]["status"], 200);

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server did not stop within 20 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "clean exit: {status:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
