//! Running user code (a bench's body, a CPU reference) so that a panic in it becomes an
//! error of that one case: caught, its message kept, and not printed by the panic hook each
//! time the case is declared (its message goes into the results instead).

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Installs, once, a panic hook that stays silent on threads inside [`catch`] and otherwise
/// does what the previous hook did.
fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
}

/// Runs `f`; a panic in it is returned as its message.
pub fn catch<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    install();
    let was = QUIET.with(|q| q.replace(true));
    let r = catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    r.map_err(|p| message(p.as_ref()))
}

/// The text of a caught panic.
pub fn message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(a panic without a message)".into())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_panic_becomes_its_message() {
        assert_eq!(super::catch(|| 3), Ok(3));
        let e = super::catch(|| -> u8 { panic!("bad {}", 7) }).unwrap_err();
        assert_eq!(e, "bad 7");
        assert_eq!(
            super::catch(|| std::panic::panic_any(5u8)).unwrap_err(),
            "(a panic without a message)"
        );
    }
}
