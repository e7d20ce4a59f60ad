//! Small constructors shared by the kernel specs: buffers, checks, grid arithmetic.

use super::workload::{Buffer, Check, DType, Fill, Role, Rule};

pub fn input(name: &'static str, dtype: DType, bytes: usize, fill: Fill) -> Buffer {
    Buffer {
        name,
        dtype,
        bytes,
        role: Role::Input(fill),
    }
}

pub fn output(name: &'static str, dtype: DType, bytes: usize) -> Buffer {
    Buffer {
        name,
        dtype,
        bytes,
        role: Role::Output,
    }
}

pub fn scratch(name: &'static str, dtype: DType, bytes: usize) -> Buffer {
    Buffer {
        name,
        dtype,
        bytes,
        role: Role::Scratch,
    }
}

/// A check of the whole buffer.
pub fn check(buffer: usize, rule: Rule) -> Check {
    Check {
        buffer,
        rule,
        sample: None,
    }
}

/// `ceil(n / per)` as a grid dimension.
pub fn blocks(n: u64, per: u64) -> u32 {
    u32::try_from(n.div_ceil(per)).expect("grid dimension fits u32")
}
