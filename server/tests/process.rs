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

mod common;

use common::process::{ServerProcess, free_port};

#[tokio::test]
async fn the_binary_makes_no_demo_data_unless_asked_and_never_logs_the_demo_password() {
    let database = common::TestDatabase::fresh().await;
    let plain = ServerProcess::start(free_port(), &[("DATABASE_URL", &database.url)]);
    let home = reqwest::get(plain.url("/"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !home.contains("Made-to-order bicycle"),
        "no demo catalogue by default"
    );
    assert!(
        !plain
            .lines()
            .iter()
            .any(|l| l.contains("Demo merchandiser")),
        "no demo merchandiser by default"
    );
    drop(plain);
    let pool = app::db::connect(&database.url, 1).await.unwrap();
    let merchandisers: i64 =
        sqlx::query_scalar("select count(*) from customers where role = 'merchandiser'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(merchandisers, 0);
    pool.close().await;

    // Asked for, with a generated password: shown once on the terminal, in no log line.
    let demo = ServerProcess::start(
        free_port(),
        &[("DATABASE_URL", &database.url), ("ATELIER_DEMO", "1")],
    );
    let banner = demo.wait_for_line("Demo merchandiser", std::time::Duration::from_secs(30));
    let password = banner
        .split(" / ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the banner shows the password")
        .to_owned();
    assert!(password.len() >= 16, "{banner}");
    reqwest::get(demo.url("/")).await.unwrap();
    let logs: Vec<String> = demo
        .lines()
        .into_iter()
        .filter(|l| l.starts_with('{'))
        .collect();
    assert!(!logs.is_empty(), "JSON log lines");
    assert!(
        logs.iter().all(|l| !l.contains(&password)),
        "the password is in a log line"
    );
}

#[test]
fn a_bad_database_url_is_reported_without_its_password() {
    for url in [
        "postgres://shop:s3cret-hunter2@127.0.0.1:1/atelier",
        "mysql://shop:s3cret-hunter2@127.0.0.1/atelier",
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
            .env("DATABASE_URL", url)
            .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
            .env("ATELIER_LOG_FORMAT", "json")
            .output()
            .expect("run the server binary");
        assert!(!output.status.success(), "{url} must not start");
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(printed.contains("could not start"), "{printed}");
        assert!(
            !printed.contains("hunter2"),
            "the password leaked: {printed}"
        );
        assert!(
            printed.contains("127.0.0.1"),
            "the rest of the URL helps: {printed}"
        );
    }
}
