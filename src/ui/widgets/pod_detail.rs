//! Pod detail (Enter on a pod): containers, images, conditions, last termination, events.

use jiff::Timestamp;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use crate::action::{Action, Pane};
use crate::command::Target;
use crate::config::keymap::{KeyContext, Keymap};
use crate::model::event::DescribedPod;
use crate::model::pod::{ConditionDetail, ContainerDetail};
use crate::model::rollout::CONTROLLER_REVISION_HASH;
use crate::model::time::{age_opt, since};
use crate::state::rollouts::RolloutsState;
use crate::ui::panes::pods::health_role;
use crate::ui::theme::{Role, Theme};
use crate::ui::widgets::events::event_line;

pub struct PodDetailView<'a> {
    pub target: &'a Target,
    pub detail: Option<&'a DescribedPod>,
    pub scroll: u16,
    pub now: Timestamp,
    pub theme: &'a Theme,
    pub keymap: &'a Keymap,
    /// To name the owner chain (ReplicaSet of Deployment, the revision a pod runs).
    pub rollouts: &'a RolloutsState,
    /// Presentation mode: hidden before wrapping (a value cut over two rows is hidden whole).
    pub redact: Option<&'a crate::redact::Redactor>,
}

impl Widget for PodDetailView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let rect = super::wide(area);
        let title = format!(
            " Pod {}/{} ({} closes) ",
            self.target.namespace,
            self.target.name,
            self.keymap
                .hint(KeyContext::Pane(Pane::Pods), &Action::Back)
        );
        let block = super::overlay_block(rect, buf, title, Role::BorderFocused, t);
        self.text()
            .block(block)
            .scroll((self.scroll, 0))
            .render(rect, buf);
    }
}

impl PodDetailView<'_> {
    fn text(&self) -> Paragraph<'static> {
        let lines = match self.detail {
            None => vec![Line::styled("loading…", self.theme.style(Role::Muted))],
            Some(d) => self.lines(d),
        };
        let lines = crate::ui::present::redact_lines(lines, self.redact);
        Paragraph::new(lines).wrap(Wrap { trim: false })
    }

    /// Rows the text takes wrapped at `width`: how far it scrolls.
    pub fn text_rows(&self, width: u16) -> usize {
        self.text().line_count(width)
    }

    fn lines(&self, loaded: &DescribedPod) -> Vec<Line<'static>> {
        let t = self.theme;
        let d = &loaded.pod;
        let r = &d.row;
        let head = |s: &str| Line::styled(s.to_string(), t.style(Role::Title));
        let kv = |k: &str, v: String| {
            Line::from(vec![
                Span::styled(format!("  {k:<12}"), t.style(Role::Muted)),
                Span::styled(v, t.style(Role::Text)),
            ])
        };
        let mut out = vec![
            Line::from(vec![
                Span::styled("  Status      ", t.style(Role::Muted)),
                Span::styled(r.status.clone(), t.style(health_role(r.health))),
                Span::styled(
                    format!("   ready {}/{}", r.ready, r.total),
                    t.style(Role::Text),
                ),
                Span::styled(
                    format!("   restarts {}", r.restarts_text(self.now)),
                    t.style(Role::Text),
                ),
            ]),
            kv(
                "Node",
                format!("{}   pod IP {}   host IP {}", r.node, r.ip, d.host_ip),
            ),
            kv(
                "Started",
                format!(
                    "{} ago   QoS {}",
                    age_opt(d.start_time, self.now),
                    d.qos_class
                ),
            ),
        ];
        if let Some((kind, name)) = &r.owner {
            let hash = d.labels.get(CONTROLLER_REVISION_HASH).map(String::as_str);
            let chain = self.rollouts.owner_chain(&r.namespace, (kind, name), hash);
            out.push(kv("Controlled", format!("by {chain}")));
        }
        if let Some(m) = &d.message {
            out.push(kv("Message", m.clone()));
        }
        if !d.init_containers.is_empty() {
            out.push(head("Init containers"));
            for c in &d.init_containers {
                out.extend(self.container(c));
            }
        }
        out.push(head("Containers"));
        for c in &d.containers {
            out.extend(self.container(c));
        }
        out.push(head("Conditions"));
        out.extend(d.conditions.iter().map(|c| self.condition(c)));
        let labels: Vec<String> = d.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out.push(kv("Labels", labels.join(" ")));
        out.push(head("Events"));
        if let Some(why) = &loaded.events_error {
            let text = format!("  cannot list events: {why}");
            out.push(Line::styled(text, t.style(Role::Warning)));
        } else if loaded.events.is_empty() {
            out.push(Line::styled("  <none>", t.style(Role::Muted)));
        }
        out.extend(loaded.events.iter().map(|e| event_line(e, self.now, t)));
        out
    }

    fn condition(&self, c: &ConditionDetail) -> Line<'static> {
        let role = if c.status == "True" {
            Role::Text
        } else {
            Role::Warning
        };
        let reason = c
            .reason
            .clone()
            .map(|r| format!("  ({r})"))
            .unwrap_or_default();
        Line::styled(
            format!("  {:<26}{}{reason}", c.kind, c.status),
            self.theme.style(role),
        )
    }

    fn container(&self, c: &ContainerDetail) -> Vec<Line<'static>> {
        let t = self.theme;
        let role = if c.ready { Role::Ok } else { Role::Warning };
        let sidecar = if c.sidecar { " (sidecar)" } else { "" };
        let mut lines = vec![
            Line::from(vec![
                Span::styled(format!("  {}{sidecar}", c.name), t.style(Role::Text)),
                Span::styled(format!("  {}", c.state), t.style(role)),
                Span::styled(
                    format!("  ready {}  restarts {}", c.ready, c.restarts),
                    t.style(Role::Muted),
                ),
            ]),
            Line::styled(format!("      image {}", c.image), t.style(Role::Muted)),
        ];
        if let Some(m) = &c.message {
            lines.push(Line::styled(format!("      {m}"), t.style(Role::Warning)));
        }
        if let Some(lt) = &c.last_termination {
            let when = lt
                .finished_at
                .map(|ts| format!(", {} ago", since(ts, self.now)))
                .unwrap_or_default();
            lines.push(Line::styled(
                format!(
                    "      last terminated: {} (exit {}){when}",
                    lt.reason, lt.exit_code
                ),
                t.style(Role::Critical),
            ));
        }
        lines
    }
}
