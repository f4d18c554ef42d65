//! Semantic style roles, resolved once from `themes/<name>.toml` (built in, or in the user's
//! config dir), never per frame. Partial theme files fall back to the default theme role by role.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

/// What a piece of text means; panes ask for a role, never a colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Text,
    Muted,
    Title,
    Border,
    BorderFocused,
    Selection,
    Ok,
    Warning,
    Critical,
    Info,
    Header,
}

impl Role {
    pub const ALL: [Role; 11] = [
        Role::Text,
        Role::Muted,
        Role::Title,
        Role::Border,
        Role::BorderFocused,
        Role::Selection,
        Role::Ok,
        Role::Warning,
        Role::Critical,
        Role::Info,
        Role::Header,
    ];
}

/// Themes compiled into the binary (one static binary, nothing to install).
pub const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("monochrome", include_str!("../../themes/monochrome.toml")),
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    #[serde(default)]
    roles: BTreeMap<Role, RoleSpec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RoleSpec {
    fg: Option<String>,
    bg: Option<String>,
    bold: bool,
    dim: bool,
    italic: bool,
    underlined: bool,
    reversed: bool,
}

/// A resolved theme: one style per role.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    styles: [Style; Role::ALL.len()],
}

/// A theme that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("unknown theme {0:?} (built in: default, light, high-contrast, monochrome)")]
    Unknown(String),
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

impl Theme {
    pub fn style(&self, role: Role) -> Style {
        self.styles[role as usize]
    }

    /// The theme for NO_COLOR and 16-colour terminals: panes add no colours of their own
    /// (log tags, SGR colours from log lines).
    pub fn is_monochrome(&self) -> bool {
        self.name == "monochrome"
    }

    /// The built-in default theme.
    pub fn default_theme() -> Theme {
        // The built-in default file is tested to parse; fall back to plain styles regardless.
        Theme::from_toml("default", BUILTIN[0].1, None, "default.toml")
            .unwrap_or_else(|_| Theme::plain("default"))
    }

    /// A theme with no styling, used only if even the default cannot be resolved.
    fn plain(name: &str) -> Theme {
        Theme {
            name: name.to_string(),
            styles: [Style::default(); Role::ALL.len()],
        }
    }

    /// Load a theme by name: `user_dir/NAME.toml` first, then the built-in ones.
    /// With `no_color`, the monochrome theme is used whatever the name.
    pub fn load(name: &str, user_dir: Option<&Path>, no_color: bool) -> Result<Theme, ThemeError> {
        let name = if no_color { "monochrome" } else { name };
        let base = Theme::default_theme();
        if let Some(dir) = user_dir {
            let path: PathBuf = dir.join(format!("{name}.toml"));
            if let Ok(text) = std::fs::read_to_string(&path) {
                return Theme::from_toml(name, &text, Some(&base), &path.display().to_string());
            }
        }
        let (_, text) = BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| ThemeError::Unknown(name.to_string()))?;
        Theme::from_toml(name, text, Some(&base), &format!("{name}.toml"))
    }

    /// Resolve a theme file; roles it does not set come from `base`.
    pub fn from_toml(
        name: &str,
        text: &str,
        base: Option<&Theme>,
        path: &str,
    ) -> Result<Theme, ThemeError> {
        let invalid = |message: String| ThemeError::Invalid {
            path: path.to_string(),
            message,
        };
        let file: ThemeFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(1, |s| {
                text[..s.start.min(text.len())].matches('\n').count() + 1
            });
            let message = e.message().lines().next().unwrap_or("invalid").to_string();
            ThemeError::Invalid {
                path: format!("{path}:{line}"),
                message,
            }
        })?;
        let mut theme = base.cloned().unwrap_or_else(|| Theme::plain(name));
        theme.name = name.to_string();
        for (role, spec) in file.roles {
            theme.styles[role as usize] = spec
                .to_style()
                .map_err(|e| invalid(format!("roles.{}: {e}", role_name(role))))?;
        }
        Ok(theme)
    }

    /// Names of the built-in themes.
    pub fn builtin_names() -> impl Iterator<Item = &'static str> {
        BUILTIN.iter().map(|(n, _)| *n)
    }
}

fn role_name(role: Role) -> String {
    format!("{role:?}").to_lowercase()
}

impl RoleSpec {
    fn to_style(&self) -> Result<Style, String> {
        let color = |s: &Option<String>| -> Result<Option<Color>, String> {
            s.as_deref()
                .map(|c| {
                    c.parse::<Color>()
                        .map_err(|_| format!("unknown colour {c:?}"))
                })
                .transpose()
        };
        let mut style = Style::default();
        if let Some(fg) = color(&self.fg)? {
            style = style.fg(fg);
        }
        if let Some(bg) = color(&self.bg)? {
            style = style.bg(bg);
        }
        let mods = [
            (self.bold, Modifier::BOLD),
            (self.dim, Modifier::DIM),
            (self.italic, Modifier::ITALIC),
            (self.underlined, Modifier::UNDERLINED),
            (self.reversed, Modifier::REVERSED),
        ];
        for (on, m) in mods {
            if on {
                style = style.add_modifier(m);
            }
        }
        Ok(style)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_theme_sets_every_role() {
        for (name, text) in BUILTIN {
            let file: ThemeFile = toml::from_str(text).unwrap();
            for role in Role::ALL {
                assert!(file.roles.contains_key(&role), "{name} lacks {role:?}");
            }
            Theme::load(name, None, false).unwrap();
        }
    }

    #[test]
    fn partial_theme_falls_back_to_default_role_by_role() {
        let base = Theme::default_theme();
        let t = Theme::from_toml(
            "x",
            "[roles]\nok = { fg = \"magenta\" }\n",
            Some(&base),
            "x",
        )
        .unwrap();
        assert_eq!(t.style(Role::Ok).fg, Some(Color::Magenta));
        assert_eq!(t.style(Role::Critical), base.style(Role::Critical));
    }

    #[test]
    fn bad_colour_names_the_role() {
        let err = Theme::from_toml(
            "x",
            "[roles]\nok = { fg = \"mauve-ish\" }\n",
            None,
            "x.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("x.toml") && err.contains("roles.ok"), "{err}");
    }

    #[test]
    fn no_color_forces_monochrome() {
        let t = Theme::load("default", None, true).unwrap();
        assert_eq!(t.name, "monochrome");
        for role in Role::ALL {
            let s = t.style(role);
            assert!(matches!(s.fg, None | Some(Color::Reset)), "{role:?}");
            assert!(s.bg.is_none(), "{role:?}");
        }
    }

    #[test]
    fn unknown_theme_is_an_error() {
        assert!(matches!(
            Theme::load("nope", None, false),
            Err(ThemeError::Unknown(_))
        ));
    }
}
