//! Kernel names a person can read: C++ (Itanium, `_Z…`) and Rust (`_R…`, and the legacy
//! `_ZN…17h<hash>E`) symbols demangled, then nested template arguments folded to `<…>` from
//! the deepest level up, the parameter list to `(…)`, and last the outermost template
//! arguments, until the name fits a width. Human output
//! uses these; `--json` keeps the symbol as the binary has it. Never panics: a name that does
//! not demangle is shown as it is, and brackets that do not balance are left alone.

/// The demangled form of `symbol`, or `None` when it is not a C++ or Rust symbol.
pub fn demangle(symbol: &str) -> Option<String> {
    if let Ok(d) = rustc_demangle::try_demangle(symbol) {
        // `{:#}` drops the legacy hash suffix.
        return Some(format!("{d:#}"));
    }
    if !symbol.starts_with("_Z") {
        return None;
    }
    let sym = cpp_demangle::Symbol::new(symbol.as_bytes()).ok()?;
    sym.demangle(&cpp_demangle::DemangleOptions::default().no_return_type())
        .ok()
}

/// `symbol` demangled and shortened to at most `width` characters (at least 16).
pub fn readable(symbol: &str, width: usize) -> String {
    let width = width.max(16);
    let mut name = demangle(symbol).unwrap_or_else(|| symbol.to_string());
    if name.chars().count() <= width {
        return name;
    }
    // Fold nested template arguments (deepest first), then the parameter list, then the
    // outermost template arguments: a kernel's own template arguments (`<__nv_bfloat16, 4>`)
    // tell its instances apart more often than its parameters do.
    let steps = (2..=max_depth(&name, '<', '>'))
        .rev()
        .map(|l| ('<', '>', l))
        .chain(
            (1..=max_depth(&name, '(', ')'))
                .rev()
                .map(|l| ('(', ')', l)),
        )
        .chain(std::iter::once(('<', '>', 1)))
        .collect::<Vec<_>>();
    for (open, close, level) in steps {
        name = fold(&name, open, close, level);
        if name.chars().count() <= width {
            return name;
        }
    }
    let mut cut: String = name.chars().take(width - 1).collect();
    cut.push('…');
    cut
}

/// `operator<`, `operator<<`, `operator<=`, `operator<=>`, `operator>…`, `operator->`,
/// `operator()`: a bracket right after `operator` (or inside its name) is not a nesting one.
fn is_operator_bracket(s: &str, i: usize) -> bool {
    let before = &s[..i];
    let trimmed = before.trim_end_matches(['<', '>', '=', '-']);
    trimmed.ends_with("operator") || (before.ends_with("operator") && s[i..].starts_with("()"))
}

fn max_depth(s: &str, open: char, close: char) -> usize {
    let (mut d, mut max) = (0usize, 0usize);
    for (i, c) in s.char_indices() {
        if is_operator_bracket(s, i) {
            continue;
        }
        if c == open {
            d += 1;
            max = max.max(d);
        } else if c == close {
            d = d.saturating_sub(1);
        }
    }
    max
}

/// `s` with the contents of every `open…close` at nesting `level` (1 = outermost) replaced
/// by `…`.
fn fold(s: &str, open: char, close: char, level: usize) -> String {
    let mut out = String::with_capacity(s.len());
    let mut d = 0usize;
    let mut skipping = false;
    for (i, c) in s.char_indices() {
        let op = is_operator_bracket(s, i);
        if !op && c == open {
            d += 1;
            if d == level {
                out.push(c);
                out.push('…');
                skipping = true;
                continue;
            }
        } else if !op && c == close {
            if d == level && skipping {
                skipping = false;
                out.push(c);
                d -= 1;
                continue;
            }
            d = d.saturating_sub(1);
        }
        if !skipping {
            out.push(c);
        }
    }
    // An unclosed bracket: what was folded is gone; say so.
    if skipping {
        out.push_str(" [truncated]");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpp_and_rust_symbols() {
        assert_eq!(demangle("_Z3addPfi").as_deref(), Some("add(float*, int)"));
        assert_eq!(
            demangle("_ZN4core3ptr13drop_in_place17h0123456789abcdefE").as_deref(),
            Some("core::ptr::drop_in_place")
        );
        assert_eq!(demangle("saxpy"), None);
        assert_eq!(readable("saxpy", 80), "saxpy");
        assert_eq!(readable("_Zbogus", 80), "_Zbogus");
    }

    #[test]
    fn long_templates_fold_from_the_inside() {
        // A CUB kernel from bitsandbytes 0.50.2's CUDA 13.0 library.
        let sym = "_ZN3cub43CUB_300001_SM_750_800_860_890_900_1000_12006detail11EmptyKernelIvEEvv";
        let full = demangle(sym).unwrap();
        assert!(
            full.starts_with("void cub::") || full.starts_with("cub::"),
            "{full}"
        );
        let short = readable(sym, 40);
        assert!(short.chars().count() <= 40, "{short}");
        let t = "a::b<c<d<e>>, f<g>>::k<int>(x<y<z>>)";
        assert_eq!(fold(t, '<', '>', 2), "a::b<c<…>, f<…>>::k<int>(x<y<…>>)");
        assert_eq!(fold(t, '<', '>', 1), "a::b<…>::k<…>(x<…>)");
        assert_eq!(readable(t, 30), "a::b<c<…>, f<…>>::k<int>(…)");
        assert_eq!(readable(t, 16), "a::b<…>::k<…>(…)");
        // bitsandbytes: the template arguments survive, the parameters fold.
        let bnb = "_Z35kOptimizerStatic8bit1StateBlockwiseI13__nv_bfloat16Li4ELi256ELi1EEvPT_S2_PhfffifPfS4_ffbi";
        assert_eq!(
            readable(bnb, 80),
            "kOptimizerStatic8bit1StateBlockwise<__nv_bfloat16, 4, 256, 1>(…)"
        );
    }

    #[test]
    fn operators_and_broken_brackets() {
        let t = "bool operator<<T<int>>(A<B<C>>, D)";
        assert_eq!(max_depth(t, '<', '>'), 3 - 1);
        let ops = "x<y>::operator()(z<w>)";
        assert_eq!(fold(ops, '(', ')', 1), "x<y>::operator()(…)");
        // Unbalanced: no panic, says what it cut.
        assert_eq!(fold("a<b<c", '<', '>', 2), "a<b<… [truncated]");
        assert_eq!(fold("a>b>c<d", '<', '>', 1), "a>b>c<… [truncated]");
        for s in ["<<<<", ">>>>", "operator<", "()(((", "", "é<ü>"] {
            let _ = readable(s, 16);
        }
    }
}
