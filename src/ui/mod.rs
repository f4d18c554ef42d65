//! Rendering: a pure function of state, theme and keymap. Never mutates domain data, never
//! does I/O, never reads the clock (time comes from `state.now`).

pub mod gap_fill;
pub mod layout;
pub mod panes;
pub mod present;
pub mod theme;
pub mod widgets;

pub use layout::{Drawn, draw, render};
pub use present::Screen;
