//! The `archbench` command line. Exit codes: 0 success; 1 invalid input or a failed check;
//! 2 usage error; 3 a GPU was needed and none is present.

mod cli;

use std::process::ExitCode;

use clap::Parser;

/// Restores the default SIGPIPE action so `archbench … | head` ends quietly instead of
/// panicking on a closed stdout (Rust ignores SIGPIPE by default).
fn default_sigpipe() {
    #[cfg(unix)]
    {
        // SAFETY: installs the default disposition for one signal, before any thread starts.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
}

fn main() -> ExitCode {
    default_sigpipe();
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            // Each cause once: many errors already quote their source in their message.
            let mut msg = e.to_string();
            for cause in e.chain().skip(1) {
                let c = cause.to_string();
                if !msg.contains(&c) {
                    msg.push_str(": ");
                    msg.push_str(&c);
                }
            }
            eprintln!("error: {msg}");
            ExitCode::from(1)
        }
    }
}
