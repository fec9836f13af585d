//! The server binary as its own process, for what an in-process server cannot show: its memory,
//! a kill -9, its exit status and everything it prints.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct ServerProcess {
    pub child: Child,
    pub port: u16,
    /// Every line the process printed (stdout and stderr), as it printed them.
    pub output: Arc<Mutex<Vec<String>>>,
}

pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

impl ServerProcess {
    /// Starts the binary with `env` on `port` and waits until it serves (or fails the test).
    pub fn start(port: u16, env: &[(&str, &str)]) -> ServerProcess {
        let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
        command
            .env_remove("ATELIER_DEMO")
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("ATELIER_LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("start the server binary");
        let output = Arc::new(Mutex::new(Vec::new()));
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let output = output.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    output.lock().unwrap().push(line);
                }
            });
        }
        let process = ServerProcess {
            child,
            port,
            output,
        };
        process.wait_for_line("Atelier is serving", Duration::from_secs(60));
        process
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn lines(&self) -> Vec<String> {
        self.output.lock().unwrap().clone()
    }

    pub fn wait_for_line(&self, wanted: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(line) = self.lines().into_iter().find(|l| l.contains(wanted)) {
                return line;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not print {wanted:?}:\n{}",
                self.lines().join("\n")
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Resident memory now and at its peak (VmRSS, VmHWM), in KiB.
    pub fn memory_kib(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("/proc status");
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// kill -9: no shutdown, no flush, nothing.
    pub fn kill_hard(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill_hard();
    }
}

/// Waits until `url` answers, or fails the test.
pub async fn wait_until_up(url: &str) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while client
        .get(url)
        .timeout(Duration::from_secs(2))
        .send()
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "{url} did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
