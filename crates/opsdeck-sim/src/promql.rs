//! A PromQL subset, evaluated like Prometheus over the series the simulator really has (the SLO
//! series of `slo.rs`). Supported: instant vector selectors with `=`, `!=`, `=~`, `!~` matchers
//! (also on `__name__`, and `{…}` without a name); number literals; unary minus; `+ - * / % ^`,
//! `== != > < >= <=` (with `bool`), `and or unless`, with `on(…)`/`ignoring(…)` and
//! `group_left(…)`/`group_right(…)`; `sum avg min max count group` with `by`/`without` (before
//! or after the argument); `vector scalar abs ceil floor round clamp_min clamp_max time absent
//! sort sort_desc`. Range vectors, `offset`, `@` and other functions are a parse error.

use std::collections::{BTreeMap, BTreeSet};

/// Label set of a series, `__name__` included.
pub type Labels = BTreeMap<String, String>;

/// One series' value at the evaluation time.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub labels: Labels,
    pub value: f64,
}

/// A query's value.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    Scalar(f64),
    Vector(Vec<Sample>),
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Num(f64),
    Str(String),
    Sym(&'static str),
}

const SYMS: [&str; 23] = [
    "==", "!=", "=~", "!~", ">=", "<=", ">", "<", "=", "+", "-", "*", "/", "%", "^", "(", ")", "{",
    "}", "[", "]", ",", "@",
];

fn lex(src: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '#' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c.is_ascii_alphabetic() || c == '_' || c == ':' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || "_:".contains(chars[i])) {
                i += 1;
            }
            out.push(Tok::Ident(chars[start..i].iter().collect()));
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric()
                    || chars[i] == '.'
                    || ((chars[i] == '+' || chars[i] == '-') && "eE".contains(chars[i - 1])))
            {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            let n = text.parse::<f64>().map_err(|_| {
                format!("bad number or duration {text:?} (range vectors are not supported)")
            })?;
            out.push(Tok::Num(n));
        } else if c == '"' || c == '\'' || c == '`' {
            let mut s = String::new();
            i += 1;
            loop {
                let Some(&ch) = chars.get(i) else {
                    return Err("unterminated quoted string".into());
                };
                i += 1;
                if ch == c {
                    break;
                }
                if ch == '\\' && c != '`' {
                    let esc = chars.get(i).copied().ok_or("unterminated escape")?;
                    i += 1;
                    s.push(match esc {
                        'n' => '\n',
                        't' => '\t',
                        other => other,
                    });
                } else {
                    s.push(ch);
                }
            }
            out.push(Tok::Str(s));
        } else {
            let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let sym = SYMS
                .iter()
                .find(|s| rest.starts_with(**s))
                .ok_or_else(|| format!("unexpected character {c:?}"))?;
            i += sym.chars().count();
            out.push(Tok::Sym(sym));
        }
    }
    Ok(out)
}

#[derive(Clone, Debug)]
enum MatchOp {
    Eq,
    Ne,
    Re(regex::Regex),
    NotRe(regex::Regex),
}

#[derive(Clone, Debug)]
struct Matcher {
    name: String,
    op: MatchOp,
    value: String,
}

impl Matcher {
    fn matches(&self, labels: &Labels) -> bool {
        let have = labels.get(&self.name).map_or("", String::as_str);
        match &self.op {
            MatchOp::Eq => have == self.value,
            MatchOp::Ne => have != self.value,
            MatchOp::Re(r) => r.is_match(have),
            MatchOp::NotRe(r) => !r.is_match(have),
        }
    }
}

#[derive(Clone, Debug, Default)]
struct Matching {
    on: bool,
    labels: Vec<String>,
    /// `Some(true)` for group_left, `Some(false)` for group_right.
    group_left: Option<bool>,
    include: Vec<String>,
}

#[derive(Clone, Debug)]
enum Expr {
    Num(f64),
    Select(Vec<Matcher>),
    Neg(Box<Expr>),
    Agg {
        op: String,
        without: bool,
        grouping: Vec<String>,
        arg: Box<Expr>,
    },
    Call(String, Vec<Expr>),
    Bin {
        op: &'static str,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
        bool_mode: bool,
        matching: Matching,
    },
}

const AGGS: [&str; 6] = ["sum", "avg", "min", "max", "count", "group"];
const FUNCS: [&str; 12] = [
    "vector",
    "scalar",
    "abs",
    "ceil",
    "floor",
    "round",
    "clamp_min",
    "clamp_max",
    "time",
    "absent",
    "sort",
    "sort_desc",
];

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

fn precedence(t: &Tok) -> Option<(&'static str, u8)> {
    let op = match t {
        Tok::Ident(s) if s == "or" => "or",
        Tok::Ident(s) if s == "and" => "and",
        Tok::Ident(s) if s == "unless" => "unless",
        Tok::Sym(s) => s,
        _ => return None,
    };
    let p = match op {
        "or" => 1,
        "and" | "unless" => 2,
        "==" | "!=" | ">" | "<" | ">=" | "<=" => 3,
        "+" | "-" => 4,
        "*" | "/" | "%" => 5,
        "^" => 6,
        _ => return None,
    };
    Some((op, p))
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn eat_sym(&mut self, s: &str) -> bool {
        if self.peek() == Some(&Tok::Sym(match_sym(s))) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect_sym(&mut self, s: &str) -> Result<(), String> {
        if self.eat_sym(s) {
            Ok(())
        } else {
            Err(format!("expected {s:?}, found {:?}", self.peek()))
        }
    }

    fn eat_ident(&mut self, word: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Ident(s)) if s == word) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expr(&mut self, min: u8) -> Result<Expr, String> {
        let mut lhs = self.unary()?;
        while let Some((op, p)) = self.peek().and_then(precedence) {
            if p < min {
                break;
            }
            self.pos += 1;
            let bool_mode = self.eat_ident("bool");
            let matching = self.matching()?;
            let next_min = if op == "^" { p } else { p + 1 };
            let rhs = self.expr(next_min)?;
            lhs = Expr::Bin {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
                bool_mode,
                matching,
            };
        }
        Ok(lhs)
    }

    fn matching(&mut self) -> Result<Matching, String> {
        let mut m = Matching::default();
        if self.eat_ident("on") {
            m.on = true;
            m.labels = self.label_list()?;
        } else if self.eat_ident("ignoring") {
            m.labels = self.label_list()?;
        }
        for (word, left) in [("group_left", true), ("group_right", false)] {
            if self.eat_ident(word) {
                m.group_left = Some(left);
                if self.peek() == Some(&Tok::Sym("(")) {
                    m.include = self.label_list()?;
                }
            }
        }
        Ok(m)
    }

    fn label_list(&mut self) -> Result<Vec<String>, String> {
        self.expect_sym("(")?;
        let mut out = Vec::new();
        while !self.eat_sym(")") {
            match self.next() {
                Some(Tok::Ident(s)) => out.push(s),
                other => return Err(format!("expected a label name, found {other:?}")),
            }
            if !self.eat_sym(",") {
                self.expect_sym(")")?;
                break;
            }
        }
        Ok(out)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.eat_sym("-") {
            return Ok(Expr::Neg(Box::new(self.expr(6)?)));
        }
        if self.eat_sym("+") {
            return self.expr(6);
        }
        let e = self.primary()?;
        match self.peek() {
            Some(Tok::Sym("[")) => Err("range vectors are not supported by the simulator".into()),
            Some(Tok::Sym("@")) => Err("@ modifiers are not supported by the simulator".into()),
            Some(Tok::Ident(s)) if s == "offset" => {
                Err("offset is not supported by the simulator".into())
            }
            _ => Ok(e),
        }
    }

    fn primary(&mut self) -> Result<Expr, String> {
        match self.next() {
            Some(Tok::Num(n)) => Ok(Expr::Num(n)),
            Some(Tok::Sym("(")) => {
                let e = self.expr(0)?;
                self.expect_sym(")")?;
                Ok(e)
            }
            Some(Tok::Sym("{")) => {
                let ms = self.matchers()?;
                if ms.iter().all(|m| m.matches(&Labels::new())) {
                    return Err(
                        "vector selector must contain at least one non-empty matcher".into(),
                    );
                }
                Ok(Expr::Select(ms))
            }
            Some(Tok::Ident(id)) => self.ident(id),
            other => Err(format!("unexpected {other:?}")),
        }
    }

    fn ident(&mut self, id: String) -> Result<Expr, String> {
        match id.to_ascii_lowercase().as_str() {
            "inf" => return Ok(Expr::Num(f64::INFINITY)),
            "nan" => return Ok(Expr::Num(f64::NAN)),
            _ => {}
        }
        if AGGS.contains(&id.as_str()) {
            return self.aggregation(id);
        }
        if self.peek() == Some(&Tok::Sym("(")) {
            if !FUNCS.contains(&id.as_str()) {
                return Err(format!("function {id:?} is not supported by the simulator"));
            }
            self.pos += 1;
            let mut args = Vec::new();
            while !self.eat_sym(")") {
                args.push(self.expr(0)?);
                if !self.eat_sym(",") {
                    self.expect_sym(")")?;
                    break;
                }
            }
            return Ok(Expr::Call(id, args));
        }
        let mut ms = vec![Matcher {
            name: "__name__".into(),
            op: MatchOp::Eq,
            value: id,
        }];
        if self.eat_sym("{") {
            ms.extend(self.matchers()?);
        }
        Ok(Expr::Select(ms))
    }

    fn aggregation(&mut self, op: String) -> Result<Expr, String> {
        let grouping = |p: &mut Parser| -> Result<Option<(bool, Vec<String>)>, String> {
            if p.eat_ident("by") {
                Ok(Some((false, p.label_list()?)))
            } else if p.eat_ident("without") {
                Ok(Some((true, p.label_list()?)))
            } else {
                Ok(None)
            }
        };
        let before = grouping(self)?;
        self.expect_sym("(")?;
        let arg = self.expr(0)?;
        self.expect_sym(")")?;
        let after = grouping(self)?;
        let (without, grouping) = before.or(after).unwrap_or((false, Vec::new()));
        Ok(Expr::Agg {
            op,
            without,
            grouping,
            arg: Box::new(arg),
        })
    }

    fn matchers(&mut self) -> Result<Vec<Matcher>, String> {
        let mut out = Vec::new();
        while !self.eat_sym("}") {
            let name = match self.next() {
                Some(Tok::Ident(s)) => s,
                other => return Err(format!("expected a label matcher, found {other:?}")),
            };
            let op = match self.next() {
                Some(Tok::Sym(s)) if ["=", "!=", "=~", "!~"].contains(&s) => s,
                other => return Err(format!("expected a matcher operator, found {other:?}")),
            };
            let Some(Tok::Str(value)) = self.next() else {
                return Err("expected a quoted label value".into());
            };
            let re = || {
                regex::Regex::new(&format!("^(?:{value})$"))
                    .map_err(|e| format!("invalid regular expression {value:?}: {e}"))
            };
            let op = match op {
                "=" => MatchOp::Eq,
                "!=" => MatchOp::Ne,
                "=~" => MatchOp::Re(re()?),
                _ => MatchOp::NotRe(re()?),
            };
            out.push(Matcher { name, op, value });
            if !self.eat_sym(",") {
                self.expect_sym("}")?;
                break;
            }
        }
        Ok(out)
    }
}

fn match_sym(s: &str) -> &'static str {
    SYMS.iter().find(|x| **x == s).copied().unwrap_or("")
}

/// A parsed query.
#[derive(Clone, Debug)]
pub struct Query(Expr);

impl Query {
    /// Parses `src`; the error is worded for a Prometheus `bad_data` response.
    pub fn parse(src: &str) -> Result<Query, String> {
        let mut p = Parser {
            toks: lex(src)?,
            pos: 0,
        };
        let e = p.expr(0)?;
        match p.peek() {
            None => Ok(Query(e)),
            Some(t) => Err(format!("unexpected {t:?} after the expression")),
        }
    }

    /// Whether some selector of the query is about `series`: its metric-name matchers match
    /// one of them (a selector without a name: all its matchers do).
    pub fn selects(&self, series: &[Sample]) -> bool {
        fn walk(e: &Expr, f: &mut dyn FnMut(&[Matcher]) -> bool) -> bool {
            match e {
                Expr::Select(ms) => f(ms),
                Expr::Num(_) => false,
                Expr::Neg(a) | Expr::Agg { arg: a, .. } => walk(a, f),
                Expr::Call(_, args) => args.iter().any(|a| walk(a, f)),
                Expr::Bin { lhs, rhs, .. } => walk(lhs, f) || walk(rhs, f),
            }
        }
        walk(&self.0, &mut |ms| {
            let named: Vec<&Matcher> = ms.iter().filter(|m| m.name == "__name__").collect();
            series.iter().any(|s| {
                if named.is_empty() {
                    ms.iter().all(|m| m.matches(&s.labels))
                } else {
                    named.iter().all(|m| m.matches(&s.labels))
                }
            })
        })
    }

    /// Evaluates at `t` over `series`.
    pub fn eval(&self, t: i64, series: &[Sample]) -> Result<Val, String> {
        eval(&self.0, t, series)
    }
}

fn eval(e: &Expr, t: i64, series: &[Sample]) -> Result<Val, String> {
    Ok(match e {
        Expr::Num(n) => Val::Scalar(*n),
        Expr::Select(ms) => Val::Vector(
            series
                .iter()
                .filter(|s| ms.iter().all(|m| m.matches(&s.labels)))
                .cloned()
                .collect(),
        ),
        Expr::Neg(a) => match eval(a, t, series)? {
            Val::Scalar(v) => Val::Scalar(-v),
            Val::Vector(v) => Val::Vector(map_values(drop_name(v), |x| -x)),
        },
        Expr::Agg {
            op,
            without,
            grouping,
            arg,
        } => match eval(arg, t, series)? {
            Val::Vector(v) => Val::Vector(aggregate(op, *without, grouping, v)),
            Val::Scalar(_) => return Err(format!("{op} expects an instant vector")),
        },
        Expr::Call(f, args) => call(f, args, t, series)?,
        Expr::Bin {
            op,
            lhs,
            rhs,
            bool_mode,
            matching,
        } => {
            let (l, r) = (eval(lhs, t, series)?, eval(rhs, t, series)?);
            binary(op, l, r, *bool_mode, matching)?
        }
    })
}

fn map_values(v: Vec<Sample>, f: impl Fn(f64) -> f64) -> Vec<Sample> {
    v.into_iter()
        .map(|s| Sample {
            value: f(s.value),
            ..s
        })
        .collect()
}

fn drop_name(v: Vec<Sample>) -> Vec<Sample> {
    v.into_iter()
        .map(|mut s| {
            s.labels.remove("__name__");
            s
        })
        .collect()
}

fn call(f: &str, args: &[Expr], t: i64, series: &[Sample]) -> Result<Val, String> {
    let arg = |i: usize| -> Result<Val, String> {
        let a = args
            .get(i)
            .ok_or_else(|| format!("{f}: missing argument"))?;
        eval(a, t, series)
    };
    let vector = |i: usize| match arg(i)? {
        Val::Vector(v) => Ok(v),
        Val::Scalar(_) => Err(format!("{f} expects an instant vector")),
    };
    let scalar = |i: usize| match arg(i)? {
        Val::Scalar(s) => Ok(s),
        Val::Vector(_) => Err(format!("{f} expects a scalar")),
    };
    Ok(match f {
        "time" => Val::Scalar(t as f64),
        "vector" => Val::Vector(vec![Sample {
            labels: Labels::new(),
            value: scalar(0)?,
        }]),
        "scalar" => {
            let v = vector(0)?;
            Val::Scalar(if v.len() == 1 { v[0].value } else { f64::NAN })
        }
        "absent" => Val::Vector(if vector(0)?.is_empty() {
            vec![Sample {
                labels: Labels::new(),
                value: 1.0,
            }]
        } else {
            Vec::new()
        }),
        "sort" | "sort_desc" => {
            let mut v = vector(0)?;
            v.sort_by(|a, b| a.value.total_cmp(&b.value));
            if f == "sort_desc" {
                v.reverse();
            }
            Val::Vector(v)
        }
        "clamp_min" | "clamp_max" => {
            let (v, bound) = (vector(0)?, scalar(1)?);
            let g = |x: f64| {
                if f == "clamp_min" {
                    x.max(bound)
                } else {
                    x.min(bound)
                }
            };
            Val::Vector(map_values(drop_name(v), g))
        }
        _ => {
            let g: fn(f64) -> f64 = match f {
                "abs" => f64::abs,
                "ceil" => f64::ceil,
                "floor" => f64::floor,
                _ => f64::round,
            };
            Val::Vector(map_values(drop_name(vector(0)?), g))
        }
    })
}

fn group_key(labels: &Labels, without: bool, grouping: &[String]) -> Labels {
    labels
        .iter()
        .filter(|(k, _)| {
            if without {
                *k != "__name__" && !grouping.contains(k)
            } else {
                grouping.contains(k)
            }
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn aggregate(op: &str, without: bool, grouping: &[String], v: Vec<Sample>) -> Vec<Sample> {
    let mut groups: BTreeMap<Labels, Vec<f64>> = BTreeMap::new();
    for s in v {
        groups
            .entry(group_key(&s.labels, without, grouping))
            .or_default()
            .push(s.value);
    }
    groups
        .into_iter()
        .map(|(labels, vals)| {
            let n = vals.len() as f64;
            let value = match op {
                "sum" => vals.iter().sum(),
                "avg" => vals.iter().sum::<f64>() / n,
                "min" => vals.iter().copied().fold(f64::INFINITY, f64::min),
                "max" => vals.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                "count" => n,
                _ => 1.0,
            };
            Sample { labels, value }
        })
        .collect()
}

fn is_comparison(op: &str) -> bool {
    ["==", "!=", ">", "<", ">=", "<="].contains(&op)
}

/// Applies an arithmetic or comparison operator; `None` when a comparison is false.
fn apply(op: &str, a: f64, b: f64) -> Option<f64> {
    let cmp = |c: bool| c.then_some(a);
    match op {
        "+" => Some(a + b),
        "-" => Some(a - b),
        "*" => Some(a * b),
        "/" => Some(a / b),
        "%" => Some(a % b),
        "^" => Some(a.powf(b)),
        "==" => cmp(a == b),
        "!=" => cmp(a != b),
        ">" => cmp(a > b),
        "<" => cmp(a < b),
        ">=" => cmp(a >= b),
        _ => cmp(a <= b),
    }
}

fn binary(op: &str, l: Val, r: Val, bool_mode: bool, m: &Matching) -> Result<Val, String> {
    let comparison = is_comparison(op);
    let value = |a: f64, b: f64| -> Option<f64> {
        match (apply(op, a, b), comparison && bool_mode) {
            (hit, true) => Some(if hit.is_some() { 1.0 } else { 0.0 }),
            (v, false) => v,
        }
    };
    let drops_name = !comparison || bool_mode;
    match (l, r) {
        (Val::Scalar(a), Val::Scalar(b)) => {
            if comparison && !bool_mode {
                return Err("comparisons between scalars must use the bool modifier".into());
            }
            Ok(Val::Scalar(value(a, b).unwrap_or(f64::NAN)))
        }
        (Val::Vector(v), Val::Scalar(b)) => Ok(Val::Vector(scalar_side(v, drops_name, |a| {
            value(a, b).map(|x| if comparison && !bool_mode { a } else { x })
        }))),
        (Val::Scalar(a), Val::Vector(v)) => Ok(Val::Vector(scalar_side(v, drops_name, |b| {
            value(a, b).map(|x| if comparison && !bool_mode { b } else { x })
        }))),
        (Val::Vector(lv), Val::Vector(rv)) => match op {
            "and" | "or" | "unless" => Ok(Val::Vector(set_op(op, lv, rv, m))),
            _ => vector_op(lv, rv, m, drops_name, value).map(Val::Vector),
        },
    }
}

fn scalar_side(v: Vec<Sample>, drops_name: bool, f: impl Fn(f64) -> Option<f64>) -> Vec<Sample> {
    let v = if drops_name { drop_name(v) } else { v };
    v.into_iter()
        .filter_map(|s| {
            f(s.value).map(|value| Sample {
                labels: s.labels,
                value,
            })
        })
        .collect()
}

fn signature(labels: &Labels, m: &Matching) -> Labels {
    labels
        .iter()
        .filter(|(k, _)| {
            if m.on {
                m.labels.contains(k)
            } else {
                *k != "__name__" && !m.labels.contains(k)
            }
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn set_op(op: &str, lv: Vec<Sample>, rv: Vec<Sample>, m: &Matching) -> Vec<Sample> {
    let rsigs: BTreeSet<Labels> = rv.iter().map(|s| signature(&s.labels, m)).collect();
    match op {
        "and" => lv
            .into_iter()
            .filter(|s| rsigs.contains(&signature(&s.labels, m)))
            .collect(),
        "unless" => lv
            .into_iter()
            .filter(|s| !rsigs.contains(&signature(&s.labels, m)))
            .collect(),
        _ => {
            let lsigs: BTreeSet<Labels> = lv.iter().map(|s| signature(&s.labels, m)).collect();
            let extra = rv
                .into_iter()
                .filter(|s| !lsigs.contains(&signature(&s.labels, m)));
            lv.into_iter().chain(extra).collect()
        }
    }
}

fn vector_op(
    lv: Vec<Sample>,
    rv: Vec<Sample>,
    m: &Matching,
    drops_name: bool,
    value: impl Fn(f64, f64) -> Option<f64>,
) -> Result<Vec<Sample>, String> {
    // The "one" side is indexed by signature; the other side ("many" under group_left/right,
    // else one-to-one) is walked.
    let right_is_one = m.group_left != Some(false);
    let (many, one) = if right_is_one { (lv, rv) } else { (rv, lv) };
    let mut index: BTreeMap<Labels, &Sample> = BTreeMap::new();
    for s in &one {
        if index.insert(signature(&s.labels, m), s).is_some() {
            return Err("found duplicate series for the match group on the one side".into());
        }
    }
    let mut seen: BTreeSet<Labels> = BTreeSet::new();
    let mut out = Vec::new();
    for s in &many {
        let sig = signature(&s.labels, m);
        let Some(o) = index.get(&sig) else {
            continue;
        };
        if m.group_left.is_none() && !seen.insert(sig) {
            return Err("many-to-many matching not allowed: use group_left/group_right".into());
        }
        let (a, b) = if right_is_one {
            (s.value, o.value)
        } else {
            (o.value, s.value)
        };
        let Some(v) = value(a, b) else {
            continue;
        };
        let mut labels = if m.group_left.is_none() && m.on {
            signature(&s.labels, m)
        } else {
            s.labels.clone()
        };
        if m.group_left.is_none() && !m.on {
            labels.retain(|k, _| !m.labels.contains(k));
        }
        for l in &m.include {
            match o.labels.get(l) {
                Some(v) => labels.insert(l.clone(), v.clone()),
                None => labels.remove(l),
            };
        }
        if drops_name {
            labels.remove("__name__");
        }
        out.push(Sample { labels, value: v });
    }
    Ok(out)
}

/// The `data` of a Prometheus query response: the query evaluated at each of `times` over
/// `series_at(t)` — a `vector` (or `scalar`) for an instant query, a `matrix` for a range.
pub fn answer(
    query: &Query,
    times: &[i64],
    range: bool,
    series_at: &dyn Fn(i64) -> Vec<Sample>,
) -> Result<serde_json::Value, String> {
    use serde_json::json;
    let point = |t: i64, v: f64| json!([t, format_value(v)]);
    if !range {
        let t = times.first().copied().unwrap_or_default();
        return Ok(match query.eval(t, &series_at(t))? {
            Val::Scalar(v) => json!({"resultType": "scalar", "result": point(t, v)}),
            Val::Vector(v) => {
                let result: Vec<_> = v
                    .into_iter()
                    .map(|s| json!({"metric": s.labels, "value": point(t, s.value)}))
                    .collect();
                json!({"resultType": "vector", "result": result})
            }
        });
    }
    let mut series: BTreeMap<Labels, Vec<serde_json::Value>> = BTreeMap::new();
    for &t in times {
        let samples = match query.eval(t, &series_at(t))? {
            Val::Scalar(v) => vec![Sample {
                labels: Labels::new(),
                value: v,
            }],
            Val::Vector(v) => v,
        };
        for s in samples {
            series.entry(s.labels).or_default().push(point(t, s.value));
        }
    }
    let result: Vec<_> = series
        .into_iter()
        .map(|(metric, values)| json!({"metric": metric, "values": values}))
        .collect();
    Ok(json!({"resultType": "matrix", "result": result}))
}

/// Prometheus's text form of a sample value.
pub fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(name: &str, labels: &[(&str, &str)], value: f64) -> Sample {
        let mut l: Labels = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        l.insert("__name__".into(), name.into());
        Sample { labels: l, value }
    }

    fn data() -> Vec<Sample> {
        vec![
            s(
                "slo:sli_error:ratio_rate5m",
                &[("sloth_id", "a"), ("sloth_window", "5m")],
                0.02,
            ),
            s(
                "slo:sli_error:ratio_rate5m",
                &[("sloth_id", "b"), ("sloth_window", "5m")],
                0.001,
            ),
            s(
                "slo:sli_error:ratio_rate1h",
                &[("sloth_id", "a"), ("sloth_window", "1h")],
                0.015,
            ),
            s("slo:error_budget:ratio", &[("sloth_id", "a")], 0.001),
            s("slo:error_budget:ratio", &[("sloth_id", "b")], 0.005),
        ]
    }

    fn run(q: &str) -> Val {
        Query::parse(q)
            .unwrap_or_else(|e| panic!("{q}: {e}"))
            .eval(100, &data())
            .unwrap_or_else(|e| panic!("{q}: {e}"))
    }

    fn values(v: Val) -> Vec<(String, f64)> {
        let Val::Vector(v) = v else {
            panic!("not a vector: {v:?}")
        };
        v.into_iter()
            .map(|s| {
                (
                    s.labels.get("sloth_id").cloned().unwrap_or_default(),
                    s.value,
                )
            })
            .collect()
    }

    #[test]
    fn selectors_and_matchers() {
        assert_eq!(values(run("slo:sli_error:ratio_rate5m")).len(), 2);
        assert_eq!(
            values(run(
                r#"{__name__=~"slo:sli_error:ratio_rate(5m|1h)", sloth_id="a"}"#
            ))
            .len(),
            2
        );
        assert_eq!(
            values(run(r#"{__name__=~"slo:.*", sloth_id!="a"}"#)).len(),
            2
        );
        assert_eq!(
            values(run(r#"{__name__!~".*budget.*", sloth_id=~"a|b"}"#)).len(),
            3
        );
        assert!(Query::parse(r#"{sloth_id=~".*"}"#).is_err());
        assert!(Query::parse("rate(x[5m])").is_err());
        assert!(Query::parse("slo:sli_error:ratio_rate5m[5m]").is_err());
    }

    #[test]
    fn burn_rate_by_matching_and_aggregation() {
        let burn = values(run(
            "slo:sli_error:ratio_rate5m / on(sloth_id) group_left slo:error_budget:ratio",
        ));
        assert_eq!(burn.len(), 2);
        assert!((burn[0].1 - 20.0).abs() < 1e-9 && (burn[1].1 - 0.2).abs() < 1e-9);
        let burn = values(run(
            "max by (sloth_id) (slo:sli_error:ratio_rate5m) / ignoring(sloth_window) slo:error_budget:ratio",
        ));
        assert_eq!(burn, [("a".to_string(), 20.0), ("b".to_string(), 0.2)]);
        let breaching = values(run(
            "slo:sli_error:ratio_rate5m > on(sloth_id) group_left() (14.4 * slo:error_budget:ratio)",
        ));
        assert_eq!(breaching, [("a".to_string(), 0.02)]);
        let n = run("count(sum without (sloth_window) ({__name__=~\"slo:sli_error:.*\"}))");
        assert_eq!(values(n)[0].1, 2.0);
        assert_eq!(run("1 - 0.25 * 2 ^ 2"), Val::Scalar(0.0));
        assert_eq!(run("2 > bool 1"), Val::Scalar(1.0));
        let both = values(run(
            "slo:sli_error:ratio_rate5m and on(sloth_id) slo:sli_error:ratio_rate1h",
        ));
        assert_eq!(both, [("a".to_string(), 0.02)]);
        let either = run("slo:sli_error:ratio_rate1h or vector(7)");
        assert_eq!(values(either).len(), 2);
    }

    #[test]
    fn errors_prometheus_would_give() {
        let q = Query::parse("slo:sli_error:ratio_rate5m / slo:error_budget:ratio").unwrap();
        // sloth_window on one side only: no one-to-one match, an empty result.
        assert_eq!(q.eval(0, &data()).unwrap(), Val::Vector(Vec::new()));
        assert!(Query::parse("sum(").is_err());
        assert!(Query::parse("histogram_quantile(0.9, x)").is_err());
        assert_eq!(format_value(f64::INFINITY), "+Inf");
        assert_eq!(format_value(0.001), "0.001");
    }
}
