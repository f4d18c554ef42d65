//! A backend wrapper that writes fewer bytes per frame. ratatui sends the cells that changed;
//! the crossterm backend moves the cursor (`ESC[row;colH`, 6–9 bytes) before every run of
//! them. When a list shifts by a row, most of each row changes but some cells happen to stay,
//! so a frame is mostly short runs and cursor moves. This wrapper keeps a copy of what the
//! terminal shows and, where two changed cells on a row are separated by a few unchanged cells
//! of the same style, writes those cells again instead of moving the cursor: the same screen
//! for fewer bytes (measured: see BENCHMARKS.md, terminal output under churn).

use std::io;

use ratatui::backend::{Backend, ClearType, WindowSize};
use ratatui::buffer::{Buffer, Cell};
use ratatui::layout::{Position, Rect, Size};

/// Bytes of the cursor move to `(x, y)`: `ESC [ row ; col H`, 1-based.
fn move_cost(x: u16, y: u16) -> u16 {
    let digits = |n: u16| n.checked_ilog10().map_or(1, |d| d as u16 + 1);
    4 + digits(y + 1) + digits(x + 1)
}

/// `inner`, with the copy of the screen it needs to fill gaps.
pub struct GapFill<B> {
    inner: B,
    shown: Buffer,
}

impl<B: Backend> GapFill<B> {
    pub fn new(inner: B) -> GapFill<B> {
        GapFill {
            inner,
            shown: Buffer::empty(Rect::ZERO),
        }
    }

    pub fn inner_mut(&mut self) -> &mut B {
        &mut self.inner
    }

    /// The cell shown at `(x, y)`, if the copy covers it.
    fn shown(&self, x: u16, y: u16) -> Option<&Cell> {
        self.shown
            .area
            .contains(Position { x, y })
            .then(|| &self.shown[(x, y)])
    }

    /// The changed cells, with short same-style gaps between runs on a row filled in.
    fn filled(&self, changed: &[(u16, u16, &Cell)]) -> Vec<(u16, u16, Cell)> {
        let mut out: Vec<(u16, u16, Cell)> = Vec::with_capacity(changed.len());
        for &(x, y, cell) in changed {
            if let Some(&(px, py, ref prev)) = out.last()
                && py == y
                && x > px + 1
                && x - px - 1 < move_cost(x, y)
                && narrow(prev)
            {
                let gap: Option<Vec<Cell>> = (px + 1..x)
                    .map(|gx| {
                        self.shown(gx, y)
                            .filter(|c| narrow(c) && same_style(c, prev))
                    })
                    .map(|c| c.cloned())
                    .collect();
                if let Some(gap) = gap {
                    out.extend(gap.into_iter().zip(px + 1..x).map(|(c, gx)| (gx, y, c)));
                }
            }
            out.push((x, y, cell.clone()));
        }
        out
    }

    fn remember(&mut self, cells: &[(u16, u16, Cell)]) {
        let Ok(size) = self.inner.size() else { return };
        let area = Rect::new(0, 0, size.width, size.height);
        if self.shown.area != area {
            self.shown.resize(area);
        }
        for (x, y, cell) in cells {
            if area.contains(Position { x: *x, y: *y }) {
                self.shown[(*x, *y)] = cell.clone();
            }
        }
    }
}

/// One column wide, so that the cells after it sit where the cursor will be.
fn narrow(c: &Cell) -> bool {
    c.symbol().len() == 1 && c.symbol().is_ascii()
}

fn same_style(a: &Cell, b: &Cell) -> bool {
    a.fg == b.fg && a.bg == b.bg && a.modifier == b.modifier
}

impl<B: Backend<Error = io::Error>> Backend for GapFill<B> {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let changed: Vec<(u16, u16, &Cell)> = content.collect();
        let cells = self.filled(&changed);
        self.inner.draw(cells.iter().map(|(x, y, c)| (*x, *y, c)))?;
        self.remember(&cells);
        Ok(())
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        self.inner.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        self.inner.set_cursor_position(position)
    }

    /// The screen is blank afterwards: so is the copy.
    fn clear(&mut self) -> io::Result<()> {
        self.shown.reset();
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        // Only a full clear is tracked; after a partial one the copy is dropped (no gap is
        // filled from it until cells are drawn again).
        self.shown = Buffer::empty(Rect::ZERO);
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> io::Result<Size> {
        self.inner.size()
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::Terminal;
    use ratatui::style::{Color, Style};
    use ratatui::text::Line;

    /// A terminal that applies what it is sent to its screen and counts the bytes of cursor
    /// moves and cells a crossterm backend would write (styles left out: fills never change
    /// the style).
    struct Recorder {
        screen: Buffer,
        moves: usize,
    }

    impl Backend for Recorder {
        type Error = io::Error;
        fn draw<'a, I: Iterator<Item = (u16, u16, &'a Cell)>>(&mut self, c: I) -> io::Result<()> {
            let mut last: Option<(u16, u16)> = None;
            for (x, y, cell) in c {
                if last != Some((x.wrapping_sub(1), y)) {
                    self.moves += usize::from(move_cost(x, y));
                }
                self.moves += cell.symbol().len();
                last = Some((x, y));
                self.screen[(x, y)] = cell.clone();
            }
            Ok(())
        }
        fn hide_cursor(&mut self) -> io::Result<()> {
            Ok(())
        }
        fn show_cursor(&mut self) -> io::Result<()> {
            Ok(())
        }
        fn get_cursor_position(&mut self) -> io::Result<Position> {
            Ok(Position::ORIGIN)
        }
        fn set_cursor_position<P: Into<Position>>(&mut self, _: P) -> io::Result<()> {
            Ok(())
        }
        fn clear(&mut self) -> io::Result<()> {
            self.screen.reset();
            Ok(())
        }
        fn clear_region(&mut self, _: ClearType) -> io::Result<()> {
            Ok(())
        }
        fn size(&self) -> io::Result<Size> {
            Ok(self.screen.area.as_size())
        }
        fn window_size(&mut self) -> io::Result<WindowSize> {
            let columns_rows = self.screen.area.as_size();
            let pixels = Size::default();
            Ok(WindowSize {
                columns_rows,
                pixels,
            })
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    type Rows = Vec<(String, Style)>;

    /// Pod-like rows `first..first+n`; row `red` styled differently.
    fn rows(first: usize, n: usize, red: Option<usize>) -> Rows {
        (first..first + n)
            .map(|i| {
                // Short runs that change when the list shifts, short runs that stay.
                let text = format!("ns-{i:02} p{i:02}-abc-{i:02}x 1/1 {}s", i % 7);
                let style = if Some(i) == red {
                    Style::default().fg(Color::Red)
                } else {
                    Style::default()
                };
                (text, style)
            })
            .collect()
    }

    fn draw<B: Backend>(t: &mut Terminal<B>, frame: &Rows) {
        let width = t.size().map(|s| s.width).unwrap_or(0);
        let drawn = t.draw(|f| {
            for (i, (text, style)) in frame.iter().enumerate() {
                let area = Rect::new(0, i as u16, width, 1);
                f.render_widget(Line::styled(text.as_str(), *style), area);
            }
        });
        assert!(drawn.is_ok());
    }

    /// The final screen and the cursor moves of the last frame, with and without filling.
    fn play(frames: &[Rows]) -> [(Buffer, usize); 2] {
        let screen = || Buffer::empty(Rect::new(0, 0, 60, frames[0].len() as u16));
        let mut plain = Terminal::new(Recorder {
            screen: screen(),
            moves: 0,
        })
        .unwrap();
        let mut filled = Terminal::new(GapFill::new(Recorder {
            screen: screen(),
            moves: 0,
        }))
        .unwrap();
        for frame in frames {
            plain.backend_mut().moves = 0;
            filled.backend_mut().inner_mut().moves = 0;
            draw(&mut plain, frame);
            draw(&mut filled, frame);
        }
        let p = plain.backend();
        let f = filled.backend_mut().inner_mut();
        [(p.screen.clone(), p.moves), (f.screen.clone(), f.moves)]
    }

    #[test]
    fn a_shifted_list_costs_a_tenth_fewer_bytes_or_more_and_looks_the_same() {
        let frames = [
            rows(10, 12, None),
            rows(9, 12, Some(12)),
            rows(10, 12, Some(14)),
        ];
        let [(plain, plain_moves), (filled, filled_moves)] = play(&frames);
        assert_eq!(filled, plain, "gap filling changed what is on screen");
        assert!(
            filled_moves * 10 <= plain_moves * 9,
            "{filled_moves} bytes with gap filling, {plain_moves} without"
        );
    }

    #[test]
    fn wide_characters_and_other_styles_are_never_used_as_filler() {
        let mut a = rows(0, 3, None);
        let mut b = rows(0, 3, None);
        // One changed cell each side of a wide character and of a red cell.
        a[0].0 = "x界yz".into();
        b[0].0 = "q界yw".into();
        a[1].0 = "abcdef".into();
        b[1].0 = "Xbcdef".into();
        let [(plain, _), (filled, _)] = play(&[a.clone(), b.clone()]);
        assert_eq!(filled, plain);
        a[2].1 = Style::default().fg(Color::Red);
        b[2].0 = b[2].0.replace("team", "TEAM");
        let [(plain, _), (filled, _)] = play(&[a, b]);
        assert_eq!(filled, plain);
    }
}
