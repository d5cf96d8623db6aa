//! Domain types: inputs are parsed into these at the boundary ("parse, don't
//! validate"), so services only ever see values that hold their invariants.

mod enums;
mod text;
mod value;

pub use enums::*;
pub use text::*;
pub use value::*;
