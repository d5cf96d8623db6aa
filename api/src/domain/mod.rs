//! Domain types: inputs are parsed into these at the boundary ("parse, don't
//! validate"), so services only ever see values that hold their invariants.

mod date;
mod enums;
mod page;
mod text;
mod value;

pub use date::*;
pub use enums::*;
pub use page::*;
pub use text::*;
pub use value::*;
