//! Quoting for the shell scripts the fleet commands write: every word that comes from a
//! fleet file or a path goes through [`quote`], so no value can end a word or a command.

/// A POSIX shell word that stands for exactly `s`: bare when it is made only of
/// characters no shell treats specially, else single-quoted (a `'` inside becomes `'\''`).
pub fn quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Words joined by spaces, each quoted.
pub fn join<S: AsRef<str>>(words: &[S]) -> String {
    words
        .iter()
        .map(|w| quote(w.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_round_trips_through_a_real_shell() {
        let words = [
            "plain",
            "--gres=gpu:h100:1",
            "with space",
            "it's",
            "$(touch /tmp/x)",
            "a\nb",
            "",
            "h100&nvlink",
            "*",
        ];
        let script = format!("printf '%s\\0' {}", join(&words));
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(&script)
            .output()
            .expect("sh runs");
        let got: Vec<String> = out
            .stdout
            .split(|b| *b == 0)
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect();
        // printf leaves a trailing NUL: one empty piece at the end.
        assert_eq!(&got[..got.len() - 1], &words);
    }
}
