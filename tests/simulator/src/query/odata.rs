//! The OData v4 subset VSA X, VSA 9 and the VSA 9 Data Warehouse accept: `$filter`,
//! `$orderby` and `$select`.
//!
//! Callers hand in values already percent-decoded. The simulator has no schema, so a filter
//! on a field a record lacks compares as null instead of failing; the one schema fact it does
//! enforce is VSA 9's Edm.Int32 id fields, because a long literal there is a documented 400.
//! Inputs are hostile-safe: bounded length and nesting, and no panics on any text.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

type Record = Map<String, Value>;

/// Longest `$filter` / `$orderby` / `$select` text accepted, in bytes.
pub const MAX_QUERY_LEN: usize = 4096;
/// Deepest nesting of parentheses, `not` and function calls in a `$filter`.
pub const MAX_DEPTH: usize = 32;

/// A parsed `$filter`.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    root: Node,
}

/// One `$orderby` key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    pub field: String,
    pub descending: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Compare {
        left: Operand,
        op: CmpOp,
        right: Operand,
    },
    Call {
        func: StrFunc,
        subject: Operand,
        arg: Operand,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CmpOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StrFunc {
    Contains,
    StartsWith,
    EndsWith,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fold {
    None,
    Lower,
    Upper,
}

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Field { path: String, fold: Fold },
    Literal(Literal),
}

#[derive(Debug, Clone, PartialEq)]
enum Literal {
    Null,
    Bool(bool),
    /// `long` marks an Edm.Int64 literal: outside i32, or written with an `L` suffix.
    Int {
        value: i64,
        long: bool,
    },
    Decimal(f64),
    Str(String),
    /// An unquoted DateTimeOffset / Date literal, as Unix seconds.
    DateTime(f64),
}

impl CmpOp {
    fn from_keyword(word: &str) -> Option<CmpOp> {
        const OPS: [(&str, CmpOp); 6] = [
            ("eq", CmpOp::Eq),
            ("ne", CmpOp::Ne),
            ("gt", CmpOp::Gt),
            ("ge", CmpOp::Ge),
            ("lt", CmpOp::Lt),
            ("le", CmpOp::Le),
        ];
        OPS.iter()
            .find(|(name, _)| word.eq_ignore_ascii_case(name))
            .map(|(_, op)| *op)
    }

    /// ODataLib's BinaryOperatorKind name, which its error messages quote.
    fn kind_name(self) -> &'static str {
        match self {
            CmpOp::Eq => "Equal",
            CmpOp::Ne => "NotEqual",
            CmpOp::Gt => "GreaterThan",
            CmpOp::Ge => "GreaterThanOrEqual",
            CmpOp::Lt => "LessThan",
            CmpOp::Le => "LessThanOrEqual",
        }
    }

    fn holds(self, ord: Ordering) -> bool {
        match self {
            CmpOp::Eq => ord == Ordering::Equal,
            CmpOp::Ne => ord != Ordering::Equal,
            CmpOp::Gt => ord == Ordering::Greater,
            CmpOp::Ge => ord != Ordering::Less,
            CmpOp::Lt => ord == Ordering::Less,
            CmpOp::Le => ord != Ordering::Greater,
        }
    }
}

fn syntax_error(pos: usize, text: &str) -> String {
    format!("Syntax error at position {pos} in '{text}'.")
}

fn too_long(param: &str) -> String {
    format!(
        "The query specified in the URI is not valid. The {param} expression is longer than \
         the limit of {MAX_QUERY_LEN} characters."
    )
}

fn check_len(text: &str, param: &str) -> Result<(), String> {
    if text.len() > MAX_QUERY_LEN {
        Err(too_long(param))
    } else {
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Lexer

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Lit(Literal),
    LParen,
    RParen,
    Comma,
    End,
}

#[derive(Debug, Clone, PartialEq)]
struct Token {
    tok: Tok,
    /// Character (not byte) offset, as OData error messages count.
    pos: usize,
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `Name` or a navigation path `Address/City`.
fn is_valid_path(s: &str) -> bool {
    s.split('/').all(|seg| {
        let mut chars = seg.chars();
        chars.next().is_some_and(is_ident_start) && chars.all(is_ident_char)
    })
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let at = |i: usize| chars.get(i).copied();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(c) = at(i) {
        let start = i;
        let tok = match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => {
                i += 1;
                Tok::LParen
            }
            ')' => {
                i += 1;
                Tok::RParen
            }
            ',' => {
                i += 1;
                Tok::Comma
            }
            '\'' => {
                // OData escapes a quote inside a string by doubling it.
                let mut s = String::new();
                i += 1;
                loop {
                    match at(i) {
                        None => {
                            return Err(format!(
                                "There is an unterminated string literal at position {start} \
                                 in '{text}'."
                            ))
                        }
                        Some('\'') if at(i + 1) == Some('\'') => {
                            s.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(ch) => {
                            s.push(ch);
                            i += 1;
                        }
                    }
                }
                Tok::Lit(Literal::Str(s))
            }
            c if c.is_ascii_digit()
                || (c == '-' && at(i + 1).is_some_and(|d| d.is_ascii_digit())) =>
            {
                let (lit, end) = lex_number(&chars, i).ok_or_else(|| syntax_error(i, text))?;
                i = end;
                Tok::Lit(lit)
            }
            c if is_ident_start(c) => {
                while at(i).is_some_and(|ch| is_ident_char(ch) || ch == '/') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                if !is_valid_path(&word) {
                    return Err(syntax_error(start, text));
                }
                Tok::Ident(word)
            }
            _ => return Err(syntax_error(start, text)),
        };
        out.push(Token { tok, pos: start });
    }
    out.push(Token {
        tok: Tok::End,
        pos: chars.len(),
    });
    Ok(out)
}

/// Lexes a number or an unquoted date starting at `start`; returns the literal and the index
/// after it, or None when the text there is malformed.
fn lex_number(chars: &[char], start: usize) -> Option<(Literal, usize)> {
    let at = |i: usize| chars.get(i).copied();
    let digit = |i: usize| at(i).is_some_and(|c| c.is_ascii_digit());
    let mut j = start;
    if at(j) == Some('-') {
        j += 1;
    }
    let digits_start = j;
    while digit(j) {
        j += 1;
    }
    // OData v4 writes DateTimeOffset and Date literals unquoted: 2023-07-12T16:15:02Z.
    if at(start) != Some('-') && j - digits_start == 4 && at(j) == Some('-') {
        while at(j).is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '+' | '-'))
        {
            j += 1;
        }
        let text: String = chars.get(start..j)?.iter().collect();
        return Some((Literal::DateTime(datetime_seconds(&text)?), j));
    }
    let mut is_float = false;
    if at(j) == Some('.') && digit(j + 1) {
        is_float = true;
        j += 1;
        while digit(j) {
            j += 1;
        }
    }
    if matches!(at(j), Some('e' | 'E')) {
        let mut k = j + 1;
        if matches!(at(k), Some('+' | '-')) {
            k += 1;
        }
        if digit(k) {
            is_float = true;
            j = k;
            while digit(j) {
                j += 1;
            }
        }
    }
    let body: String = chars.get(start..j)?.iter().collect();
    // Type suffixes: L = Edm.Int64, M = Edm.Decimal, D = Edm.Double, F = Edm.Single.
    let suffix = match at(j) {
        Some(c) if matches!(c.to_ascii_lowercase(), 'l' | 'm' | 'd' | 'f') => {
            j += 1;
            Some(c.to_ascii_lowercase())
        }
        _ => None,
    };
    if at(j).is_some_and(|c| is_ident_char(c) || c == '.') {
        return None;
    }
    let float = |s: &str| s.parse::<f64>().ok().filter(|f| f.is_finite());
    let lit = match suffix {
        Some('l') if is_float => return None,
        Some('l') => Literal::Int {
            value: body.parse().ok()?,
            long: true,
        },
        Some(_) => Literal::Decimal(float(&body)?),
        None if is_float => Literal::Decimal(float(&body)?),
        // Integers too big for Int64 become Decimal, as ODataLib does.
        None => match body.parse::<i64>() {
            Ok(value) => Literal::Int {
                value,
                long: i32::try_from(value).is_err(),
            },
            Err(_) => Literal::Decimal(float(&body)?),
        },
    };
    Some((lit, j))
}

// ---------------------------------------------------------------------------------------
// Parser

/// Either a value-producing operand or a boolean function call.
enum Term {
    Operand(Operand),
    Call(Node),
}

struct Parser<'a> {
    toks: Vec<Token>,
    at: usize,
    end: Token,
    text: &'a str,
    int32_fields: &'a [&'a str],
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        self.toks.get(self.at).unwrap_or(&self.end)
    }

    fn bump(&mut self) -> Token {
        let tok = self.peek().clone();
        self.at += 1;
        tok
    }

    fn error_here(&self) -> String {
        syntax_error(self.peek().pos, self.text)
    }

    fn at_keyword(&self, kw: &str) -> bool {
        matches!(&self.peek().tok, Tok::Ident(w) if w.eq_ignore_ascii_case(kw))
    }

    fn expect(&mut self, tok: Tok) -> Result<(), String> {
        if self.peek().tok == tok {
            self.at += 1;
            Ok(())
        } else {
            Err(self.error_here())
        }
    }

    /// Counts one level of nesting; the bound keeps recursion (parse, eval, drop) shallow.
    fn enter(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            Err(format!(
                "The query specified in the URI is not valid. The $filter expression is \
                 nested deeper than the limit of {MAX_DEPTH}."
            ))
        } else {
            Ok(())
        }
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn parse_or(&mut self) -> Result<Node, String> {
        let mut items = vec![self.parse_and()?];
        while self.at_keyword("or") {
            self.at += 1;
            items.push(self.parse_and()?);
        }
        Ok(if items.len() == 1 {
            items.swap_remove(0)
        } else {
            Node::Or(items)
        })
    }

    fn parse_and(&mut self) -> Result<Node, String> {
        let mut items = vec![self.parse_unary()?];
        while self.at_keyword("and") {
            self.at += 1;
            items.push(self.parse_unary()?);
        }
        Ok(if items.len() == 1 {
            items.swap_remove(0)
        } else {
            Node::And(items)
        })
    }

    fn parse_unary(&mut self) -> Result<Node, String> {
        if self.at_keyword("not") {
            self.at += 1;
            self.enter()?;
            let inner = self.parse_unary()?;
            self.leave();
            return Ok(Node::Not(Box::new(inner)));
        }
        self.parse_primary()
    }

    fn parse_primary(&mut self) -> Result<Node, String> {
        if self.peek().tok == Tok::LParen {
            self.at += 1;
            self.enter()?;
            let inner = self.parse_or()?;
            self.expect(Tok::RParen)?;
            self.leave();
            return Ok(inner);
        }
        let start = self.peek().pos;
        let left = self.parse_term()?;
        let op = match &self.peek().tok {
            Tok::Ident(w) => CmpOp::from_keyword(w),
            _ => None,
        };
        match (left, op) {
            // `contains(Name,'x') eq true` is common client output.
            (Term::Call(call), Some(op @ (CmpOp::Eq | CmpOp::Ne))) => {
                self.at += 1;
                let wanted = match self.parse_term()? {
                    Term::Operand(Operand::Literal(Literal::Bool(b))) => b,
                    _ => return Err(syntax_error(start, self.text)),
                };
                Ok(if wanted == (op == CmpOp::Eq) {
                    call
                } else {
                    Node::Not(Box::new(call))
                })
            }
            (Term::Call(call), None) => Ok(call),
            (Term::Call(_), Some(_)) => Err(self.error_here()),
            (Term::Operand(left), Some(op)) => {
                self.at += 1;
                let right = match self.parse_term()? {
                    Term::Operand(o) => o,
                    Term::Call(_) => return Err(syntax_error(start, self.text)),
                };
                self.check_types(&left, op, &right)?;
                Ok(Node::Compare { left, op, right })
            }
            // A bare Boolean property (`$filter=IsOnline`) or literal is a valid filter.
            (
                Term::Operand(left @ (Operand::Field { .. } | Operand::Literal(Literal::Bool(_)))),
                None,
            ) => Ok(Node::Compare {
                left,
                op: CmpOp::Eq,
                right: Operand::Literal(Literal::Bool(true)),
            }),
            (Term::Operand(_), None) => Err(syntax_error(start, self.text)),
        }
    }

    /// VSA 9's id fields are Edm.Int32; comparing one with an Int64 literal is a 400 there.
    fn check_types(&self, left: &Operand, op: CmpOp, right: &Operand) -> Result<(), String> {
        let is_int32 = |o: &Operand| {
            matches!(o, Operand::Field { path, fold: Fold::None }
                if self.int32_fields.iter().any(|f| f.eq_ignore_ascii_case(path)))
        };
        let is_long = |o: &Operand| matches!(o, Operand::Literal(Literal::Int { long: true, .. }));
        let pair = if is_int32(left) && is_long(right) {
            Some(("Edm.Int32", "Edm.Int64"))
        } else if is_long(left) && is_int32(right) {
            Some(("Edm.Int64", "Edm.Int32"))
        } else {
            None
        };
        match pair {
            Some((a, b)) => Err(format!(
                "The query specified in the URI is not valid. A binary operator with \
                 incompatible types was detected. Found operand types '{a}' and '{b}' for \
                 operator kind '{}'.",
                op.kind_name()
            )),
            None => Ok(()),
        }
    }

    fn parse_operand(&mut self) -> Result<Operand, String> {
        let start = self.peek().pos;
        match self.parse_term()? {
            Term::Operand(o) => Ok(o),
            Term::Call(_) => Err(syntax_error(start, self.text)),
        }
    }

    fn parse_term(&mut self) -> Result<Term, String> {
        let token = self.bump();
        let word = match token.tok {
            Tok::Lit(lit) => return Ok(Term::Operand(Operand::Literal(lit))),
            Tok::Ident(word) => word,
            _ => return Err(syntax_error(token.pos, self.text)),
        };
        if self.peek().tok != Tok::LParen {
            let lit = match word.to_ascii_lowercase().as_str() {
                "true" => Literal::Bool(true),
                "false" => Literal::Bool(false),
                "null" => Literal::Null,
                // Operators are reserved words, so `Name eq 'x' or or` fails as OData does.
                "and" | "or" | "not" | "eq" | "ne" | "gt" | "ge" | "lt" | "le" => {
                    return Err(syntax_error(token.pos, self.text))
                }
                _ => {
                    return Ok(Term::Operand(Operand::Field {
                        path: word,
                        fold: Fold::None,
                    }))
                }
            };
            return Ok(Term::Operand(Operand::Literal(lit)));
        }
        self.at += 1;
        self.enter()?;
        let name = word.to_ascii_lowercase();
        let term = match name.as_str() {
            "tolower" | "toupper" => {
                let fold = if name == "tolower" {
                    Fold::Lower
                } else {
                    Fold::Upper
                };
                let inner = self.parse_operand()?;
                self.expect(Tok::RParen)?;
                Term::Operand(apply_fold(inner, fold).ok_or_else(|| no_signature(&word))?)
            }
            "contains" | "startswith" | "endswith" | "substringof" => {
                let a = self.parse_operand()?;
                self.expect(Tok::Comma)?;
                let b = self.parse_operand()?;
                self.expect(Tok::RParen)?;
                // OData v3's substringof('x', Name) survives in older clients.
                let (func, subject, arg) = match name.as_str() {
                    "contains" => (StrFunc::Contains, a, b),
                    "substringof" => (StrFunc::Contains, b, a),
                    "startswith" => (StrFunc::StartsWith, a, b),
                    _ => (StrFunc::EndsWith, a, b),
                };
                Term::Call(Node::Call { func, subject, arg })
            }
            _ => {
                return Err(format!(
                    "An unknown function with name '{word}' was found. This may also be a \
                     function import or a key lookup on a navigation property, which is not \
                     allowed."
                ))
            }
        };
        self.leave();
        Ok(term)
    }
}

fn no_signature(function: &str) -> String {
    format!(
        "No function signature for the function with name '{function}' matches the \
         specified arguments."
    )
}

/// The outermost tolower/toupper wins; on a string literal it is applied at parse time.
fn apply_fold(operand: Operand, fold: Fold) -> Option<Operand> {
    match operand {
        Operand::Field { path, .. } => Some(Operand::Field { path, fold }),
        Operand::Literal(Literal::Str(s)) => Some(Operand::Literal(Literal::Str(match fold {
            Fold::Upper => s.to_uppercase(),
            _ => s.to_lowercase(),
        }))),
        Operand::Literal(_) => None,
    }
}

/// Parses a `$filter`. Fields named in `int32_fields` are Edm.Int32 (VSA 9 ids).
pub fn parse_filter(text: &str, int32_fields: &[&str]) -> Result<Filter, String> {
    check_len(text, "$filter")?;
    let toks = tokenize(text)?;
    let end = Token {
        tok: Tok::End,
        pos: text.chars().count(),
    };
    let mut parser = Parser {
        toks,
        at: 0,
        end,
        text,
        int32_fields,
        depth: 0,
    };
    let root = parser.parse_or()?;
    if parser.peek().tok != Tok::End {
        return Err(parser.error_here());
    }
    Ok(Filter { root })
}

// ---------------------------------------------------------------------------------------
// Evaluation

#[derive(Debug, Clone, Copy)]
enum Num {
    /// i128 holds every i64 and u64 JSON integer exactly.
    Int(i128),
    Float(f64),
}

fn json_num(n: &Number) -> Num {
    if let Some(i) = n.as_i64() {
        Num::Int(i128::from(i))
    } else if let Some(u) = n.as_u64() {
        Num::Int(i128::from(u))
    } else {
        Num::Float(n.as_f64().unwrap_or(f64::NAN))
    }
}

fn parse_num_str(s: &str) -> Option<Num> {
    let s = s.trim();
    if let Ok(i) = s.parse::<i128>() {
        return Some(Num::Int(i));
    }
    s.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(Num::Float)
}

/// Exact integer/float comparison, so sorting sees a total order even past 2^53.
fn cmp_int_float(i: i128, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    // 2^127: beyond every i128.
    const LIMIT: f64 = 170_141_183_460_469_231_731_687_303_715_884_105_728.0;
    if f >= LIMIT {
        return Some(Ordering::Less);
    }
    if f < -LIMIT {
        return Some(Ordering::Greater);
    }
    let whole = f.trunc();
    // In range, so the cast is exact.
    let by_whole = i.cmp(&(whole as i128));
    if by_whole != Ordering::Equal {
        return Some(by_whole);
    }
    0.0f64.partial_cmp(&(f - whole))
}

fn num_cmp(a: Num, b: Num) -> Option<Ordering> {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => Some(x.cmp(&y)),
        (Num::Float(x), Num::Float(y)) => x.partial_cmp(&y),
        (Num::Int(x), Num::Float(y)) => cmp_int_float(x, y),
        (Num::Float(x), Num::Int(y)) => cmp_int_float(y, x).map(Ordering::reverse),
    }
}

fn num_f64(n: Num) -> f64 {
    match n {
        Num::Int(i) => i as f64,
        Num::Float(f) => f,
    }
}

/// A resolved operand.
enum Val<'a> {
    Null,
    Bool(bool),
    Num(Num),
    Str(Cow<'a, str>),
    Date(f64),
    /// Arrays and objects: comparable with nothing.
    Other,
}

/// Looks a key up: the exact spelling first, then ignoring ASCII case.
pub(crate) fn get_ci<'a>(map: &'a Record, key: &str) -> Option<(&'a String, &'a Value)> {
    map.get_key_value(key)
        .or_else(|| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)))
}

/// Follows a `/`-separated property path through nested objects.
fn lookup<'a>(record: &'a Record, path: &str) -> Option<&'a Value> {
    let mut segments = path.split('/');
    let mut value = get_ci(record, segments.next()?)?.1;
    for seg in segments {
        value = get_ci(value.as_object()?, seg)?.1;
    }
    Some(value)
}

fn resolve<'a>(operand: &'a Operand, record: &'a Record) -> Val<'a> {
    match operand {
        Operand::Field { path, fold } => match lookup(record, path) {
            None | Some(Value::Null) => Val::Null,
            Some(Value::Bool(b)) => Val::Bool(*b),
            Some(Value::Number(n)) => Val::Num(json_num(n)),
            Some(Value::String(s)) => Val::Str(match fold {
                Fold::None => Cow::Borrowed(s.as_str()),
                Fold::Lower => Cow::Owned(s.to_lowercase()),
                Fold::Upper => Cow::Owned(s.to_uppercase()),
            }),
            Some(_) => Val::Other,
        },
        Operand::Literal(lit) => match lit {
            Literal::Null => Val::Null,
            Literal::Bool(b) => Val::Bool(*b),
            Literal::Int { value, .. } => Val::Num(Num::Int(i128::from(*value))),
            Literal::Decimal(f) => Val::Num(Num::Float(*f)),
            Literal::Str(s) => Val::Str(Cow::Borrowed(s.as_str())),
            Literal::DateTime(t) => Val::Date(*t),
        },
    }
}

/// None when the two values cannot be compared (e.g. a number and a non-numeric string).
fn order(l: &Val, r: &Val) -> Option<Ordering> {
    match (l, r) {
        (Val::Num(a), Val::Num(b)) => num_cmp(*a, *b),
        // Numbers-as-strings are common in these APIs' data: compare them numerically.
        (Val::Num(a), Val::Str(s)) => num_cmp(*a, parse_num_str(s)?),
        (Val::Str(s), Val::Num(b)) => num_cmp(parse_num_str(s)?, *b),
        (Val::Str(a), Val::Str(b)) => Some(a.cmp(b)),
        (Val::Bool(a), Val::Bool(b)) => Some(a.cmp(b)),
        (Val::Date(a), Val::Date(b)) => a.partial_cmp(b),
        (Val::Date(a), Val::Str(s)) => a.partial_cmp(&datetime_seconds(s)?),
        (Val::Str(s), Val::Date(b)) => datetime_seconds(s)?.partial_cmp(b),
        // VSA X's GET /notifications carries DateTime as Unix seconds.
        (Val::Date(a), Val::Num(n)) => a.partial_cmp(&num_f64(*n)),
        (Val::Num(n), Val::Date(b)) => num_f64(*n).partial_cmp(b),
        _ => None,
    }
}

fn compare(op: CmpOp, l: &Val, r: &Val) -> bool {
    let (l_null, r_null) = (matches!(l, Val::Null), matches!(r, Val::Null));
    if l_null || r_null {
        // As in OData/LINQ: null equals only null, and orders against nothing.
        let both = l_null && r_null;
        return match op {
            CmpOp::Eq => both,
            CmpOp::Ne => !both,
            _ => false,
        };
    }
    match order(l, r) {
        Some(ord) => op.holds(ord),
        None => op == CmpOp::Ne,
    }
}

impl Node {
    fn matches(&self, record: &Record) -> bool {
        match self {
            Node::And(items) => items.iter().all(|n| n.matches(record)),
            Node::Or(items) => items.iter().any(|n| n.matches(record)),
            Node::Not(inner) => !inner.matches(record),
            Node::Compare { left, op, right } => {
                compare(*op, &resolve(left, record), &resolve(right, record))
            }
            Node::Call { func, subject, arg } => {
                match (resolve(subject, record), resolve(arg, record)) {
                    (Val::Str(s), Val::Str(a)) => match func {
                        StrFunc::Contains => s.contains(a.as_ref()),
                        StrFunc::StartsWith => s.starts_with(a.as_ref()),
                        StrFunc::EndsWith => s.ends_with(a.as_ref()),
                    },
                    _ => false,
                }
            }
        }
    }
}

impl Filter {
    /// Whether `record` passes the filter. A missing field reads as null.
    pub fn matches(&self, record: &Record) -> bool {
        self.root.matches(record)
    }
}

// ---------------------------------------------------------------------------------------
// $orderby and $select

/// Whitespace-separated words of `s` with their byte offsets.
fn words(s: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(b)) => {
                out.push((b, &s[b..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(b) = start {
        out.push((b, &s[b..]));
    }
    out
}

/// Splits a comma list into (byte offset, words) items.
fn comma_items(text: &str) -> Vec<(usize, Vec<(usize, &str)>)> {
    let mut offset = 0;
    text.split(',')
        .map(|item| {
            let at = offset;
            offset += item.len() + 1;
            (at, words(item))
        })
        .collect()
}

fn error_at_byte(text: &str, byte: usize) -> String {
    let pos = text.get(..byte).map_or(0, |s| s.chars().count());
    syntax_error(pos, text)
}

/// Parses `$orderby`: `A`, `A desc`, `A asc, B desc`. Blank text means no ordering.
pub fn parse_order_by(text: &str) -> Result<Vec<SortKey>, String> {
    check_len(text, "$orderby")?;
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let mut keys = Vec::new();
    for (offset, words) in comma_items(text) {
        let Some(&(field_at, field)) = words.first() else {
            return Err(error_at_byte(text, offset));
        };
        if !is_valid_path(field) {
            return Err(error_at_byte(text, offset + field_at));
        }
        let descending = match words.get(1) {
            None => false,
            Some((_, w)) if w.eq_ignore_ascii_case("asc") => false,
            Some((_, w)) if w.eq_ignore_ascii_case("desc") => true,
            Some((at, _)) => return Err(error_at_byte(text, offset + at)),
        };
        if let Some((at, _)) = words.get(2) {
            return Err(error_at_byte(text, offset + at));
        }
        keys.push(SortKey {
            field: field.to_string(),
            descending,
        });
    }
    Ok(keys)
}

/// Sort rank across JSON types: null (and missing) first, as SQL Server sorts NULL.
fn rank(v: Option<&Value>) -> u8 {
    match v {
        None | Some(Value::Null) => 0,
        Some(Value::Bool(_)) => 1,
        Some(Value::Number(_)) => 2,
        Some(Value::String(_)) => 3,
        Some(Value::Array(_)) => 4,
        Some(Value::Object(_)) => 5,
    }
}

/// A total order on JSON values (a partial one can make `sort_by` panic).
fn cmp_json(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    match (a, b) {
        (Some(Value::Bool(x)), Some(Value::Bool(y))) => x.cmp(y),
        (Some(Value::Number(x)), Some(Value::Number(y))) => {
            num_cmp(json_num(x), json_num(y)).unwrap_or(Ordering::Equal)
        }
        // Ordinal, as .NET's default for OData string ordering on these servers.
        (Some(Value::String(x)), Some(Value::String(y))) => x.cmp(y),
        _ => rank(a).cmp(&rank(b)),
    }
}

/// Stable multi-key sort; descending keys reverse the whole order (nulls last).
pub fn sort(records: &mut [&Record], keys: &[SortKey]) {
    records.sort_by(|a, b| {
        keys.iter()
            .map(|k| {
                let ord = cmp_json(lookup(a, &k.field), lookup(b, &k.field));
                if k.descending {
                    ord.reverse()
                } else {
                    ord
                }
            })
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    });
}

/// Parses `$select`: a comma list of property names, or `*`. Blank text gives an empty list,
/// which callers should treat as "no projection".
pub fn parse_select(text: &str) -> Result<Vec<String>, String> {
    check_len(text, "$select")?;
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let mut fields = Vec::new();
    for (offset, words) in comma_items(text) {
        match words.as_slice() {
            [] => return Err(error_at_byte(text, offset)),
            [(_, f)] if *f == "*" || is_valid_path(f) => fields.push(f.to_string()),
            [(at, _)] => return Err(error_at_byte(text, offset + at)),
            [_, (at, _), ..] => return Err(error_at_byte(text, offset + at)),
        }
    }
    Ok(fields)
}

/// Keeps only the selected properties, matched ignoring case, in the record's own spelling.
/// `*` keeps everything; a path `A/B` selects the whole top-level `A`; unknown names are
/// skipped.
pub fn project(record: &Record, fields: &[String]) -> Record {
    if fields.iter().any(|f| f == "*") {
        return record.clone();
    }
    let mut out = Record::new();
    for field in fields {
        let top = field.split('/').next().unwrap_or(field);
        if let Some((key, value)) = get_ci(record, top) {
            out.insert(key.clone(), value.clone());
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Dates

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Unix seconds of `YYYY-MM-DD[(T| )hh:mm[:ss[.fff]]][Z|±hh:mm|±hhmm]`; no zone means UTC,
/// which is how these APIs' zone-less timestamps are meant.
pub(crate) fn datetime_seconds(text: &str) -> Option<f64> {
    let b = text.trim().as_bytes();
    let num = |from: usize, to: usize| -> Option<i64> {
        let s = b.get(from..to)?;
        if !s.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(s).ok()?.parse().ok()
    };
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let (y, m, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    let mut secs = (days_from_civil(y, m, d) * 86_400) as f64;
    if b.len() == 10 {
        return Some(secs);
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) || b.get(13) != Some(&b':') {
        return None;
    }
    let (hh, mm) = (num(11, 13)?, num(14, 16)?);
    if hh > 23 || mm > 59 {
        return None;
    }
    secs += (hh * 3600 + mm * 60) as f64;
    let mut i = 16;
    if b.get(i) == Some(&b':') {
        let ss = num(i + 1, i + 3)?;
        if ss > 60 {
            return None;
        }
        secs += ss as f64;
        i += 3;
        if b.get(i) == Some(&b'.') {
            let mut j = i + 1;
            while b.get(j).is_some_and(u8::is_ascii_digit) {
                j += 1;
            }
            let frac = std::str::from_utf8(b.get(i..j)?).ok()?;
            if frac.len() < 2 {
                return None;
            }
            secs += format!("0{frac}").parse::<f64>().ok()?;
            i = j;
        }
    }
    match b.get(i) {
        None => Some(secs),
        Some(b'Z' | b'z') if i + 1 == b.len() => Some(secs),
        Some(&sign @ (b'+' | b'-')) => {
            let (oh, om) = match b.len() - i {
                6 if b.get(i + 3) == Some(&b':') => (num(i + 1, i + 3)?, num(i + 4, i + 6)?),
                5 => (num(i + 1, i + 3)?, num(i + 3, i + 5)?),
                _ => return None,
            };
            if oh > 23 || om > 59 {
                return None;
            }
            let offset = (oh * 3600 + om * 60) as f64;
            Some(if sign == b'+' {
                secs - offset
            } else {
                secs + offset
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(v: Value) -> Record {
        match v {
            Value::Object(m) => m,
            _ => panic!("test record must be an object"),
        }
    }

    fn device() -> Record {
        rec(json!({
            "Identifier": "8c2a6f0e-0000-4000-8000-000000000001",
            "Name": "WS-Alpha",
            "GroupId": 42,
            "GroupName": "MyGroup Sales",
            "SiteId": "17",
            "IsOnline": true,
            "IsMdmEnrolled": false,
            "Description": null,
            "Score": 2.5,
            "Big": 9_007_199_254_740_993u64,
            "Note": "it's",
            "DateTime": "2023-07-12T16:15:02Z",
            "Unix": 1_689_178_502,
            "Address": {"City": "Leeds"},
        }))
    }

    fn check(filter: &str) -> bool {
        parse_filter(filter, &[])
            .unwrap_or_else(|e| panic!("{filter}: {e}"))
            .matches(&device())
    }

    fn err(filter: &str) -> String {
        parse_filter(filter, &["GroupId", "AgentId"]).expect_err(filter)
    }

    #[test]
    fn comparison_operators_on_numbers() {
        for (f, want) in [
            ("GroupId eq 42", true),
            ("GroupId ne 42", false),
            ("GroupId gt 41", true),
            ("GroupId gt 42", false),
            ("GroupId ge 42", true),
            ("GroupId lt 43", true),
            ("GroupId lt 42", false),
            ("GroupId le 42", true),
            ("GroupId eq 42.0", true),
            ("Score gt 2", true),
            ("Score lt 2.51", true),
            ("Score eq 25e-1", true),
            ("GroupId eq -42", false),
            ("GroupId gt -42", true),
            ("Big gt 9007199254740992", true),
            ("Big eq 9007199254740993", true),
            ("GroupId eq 42L", true),
            ("Score eq 2.5m", true),
        ] {
            assert_eq!(check(f), want, "{f}");
        }
    }

    #[test]
    fn numeric_strings_compare_numerically_with_number_literals() {
        assert!(check("SiteId eq 17"));
        assert!(check("SiteId gt 9")); // "17" > "9" as strings would be false
        assert!(check("SiteId eq '17'"));
        assert!(!check("Name eq 5"));
        assert!(check("Name ne 5"));
        assert!(!check("Name gt 5"));
        assert!(check("GroupId eq '42'"));
    }

    #[test]
    fn strings_are_case_sensitive_unless_folded() {
        assert!(check("Name eq 'WS-Alpha'"));
        assert!(!check("Name eq 'ws-alpha'"));
        assert!(check("tolower(Name) eq 'ws-alpha'"));
        assert!(check("toupper(Name) eq 'WS-ALPHA'"));
        assert!(check("toupper(tolower(Name)) eq 'WS-ALPHA'"));
        assert!(check("tolower(Name) eq tolower('WS-ALPHA')"));
        assert!(check("Name gt 'WS-A'"));
        assert!(check("Name lt 'ws'")); // ordinal: 'W' < 'w'
        assert!(check("Note eq 'it''s'"));
    }

    #[test]
    fn string_functions() {
        assert!(check("contains(GroupName, 'Sales')"));
        assert!(!check("contains(GroupName, 'sales')"));
        assert!(check("contains(tolower(GroupName), 'mygroup')"));
        assert!(check("startswith(Name,'WS-')"));
        assert!(!check("startswith(Name,'Alpha')"));
        assert!(check("endswith(Name,'Alpha')"));
        assert!(check("endswith(toupper(Name),'ALPHA')"));
        assert!(check("contains(Name,'x') eq false"));
        assert!(check("contains(Name,'Al') eq true"));
        assert!(check("contains(Name,'Al') ne false"));
        assert!(check("not contains(Name,'x')"));
        assert!(check("substringof('Alp', Name)"));
        assert!(!check("contains(Missing,'x')"));
        assert!(!check("contains(GroupId,'4')"));
        assert!(check("CONTAINS(name, 'WS') AND STARTSWITH(NAME, 'WS')"));
    }

    #[test]
    fn booleans_null_and_missing_fields() {
        assert!(check("IsOnline eq true"));
        assert!(check("IsOnline"));
        assert!(check("not IsMdmEnrolled"));
        assert!(check("IsMdmEnrolled eq false"));
        assert!(!check("IsOnline eq false"));
        assert!(check("Description eq null"));
        assert!(check("Missing eq null"));
        assert!(!check("Missing ne null"));
        assert!(check("Name ne null"));
        assert!(!check("Description gt 5"));
        assert!(!check("Missing lt 5"));
        assert!(check("Missing ne 5"));
        assert!(check("null eq null"));
        assert!(check("true"));
        assert!(!check("false"));
    }

    #[test]
    fn boolean_logic_and_precedence() {
        assert!(check("GroupId eq 1 or GroupId eq 42"));
        assert!(!check("GroupId eq 1 and GroupId eq 42"));
        // `and` binds tighter than `or`.
        assert!(check("GroupId eq 42 or GroupId eq 1 and IsOnline eq false"));
        assert!(!check(
            "(GroupId eq 42 or GroupId eq 1) and IsOnline eq false"
        ));
        assert!(check("not (GroupId eq 1)"));
        assert!(!check("not not (GroupId eq 1)"));
        assert!(check("((((GroupId eq 42))))"));
        assert!(check("GroupId EQ 42 AnD NOT (Name Eq 'x') oR false"));
    }

    #[test]
    fn field_names_ignore_case_but_prefer_exact() {
        assert!(check("groupid eq 42"));
        assert!(check("GROUPNAME eq 'MyGroup Sales'"));
        let r = rec(json!({"name": "lower", "Name": "Upper"}));
        let f = parse_filter("Name eq 'Upper'", &[]).unwrap();
        assert!(f.matches(&r));
        let f = parse_filter("name eq 'lower'", &[]).unwrap();
        assert!(f.matches(&r));
        assert!(check("Address/City eq 'Leeds'"));
        assert!(check("address/city eq 'Leeds'"));
        assert!(check("Address/Missing eq null"));
    }

    #[test]
    fn literal_on_the_left() {
        assert!(check("42 eq GroupId"));
        assert!(check("41 lt GroupId"));
        assert!(!check("43 lt GroupId"));
    }

    #[test]
    fn dates_compare_as_instants() {
        assert!(check("DateTime gt 2023-07-12T16:15:01Z"));
        assert!(check("DateTime eq 2023-07-12T17:15:02+01:00"));
        assert!(check("DateTime lt 2023-07-13"));
        assert!(check("DateTime ge 2023-07-12T16:15:02.000Z"));
        assert!(check("Unix eq 2023-07-12T16:15:02Z"));
        assert!(check("Unix lt 2023-07-12T16:15:03"));
        assert!(!check("Name eq 2023-07-12"));
        assert!(err("DateTime gt 2023-13-01").starts_with("Syntax error at position 12"));
        assert_eq!(datetime_seconds("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(datetime_seconds("2000-02-29"), Some(951_782_400.0));
        assert_eq!(datetime_seconds("2001-02-29"), None);
        assert_eq!(
            datetime_seconds("2023-07-12T16:15:02-0130"),
            Some(1_689_183_902.0)
        );
        assert_eq!(
            datetime_seconds("2023-07-12T16:15:02.5"),
            Some(1_689_178_502.5)
        );
        assert_eq!(datetime_seconds("2023-07-12T16:15:02.Z"), None);
        assert_eq!(datetime_seconds("2023-07-12X"), None);
        assert_eq!(datetime_seconds("é"), None);
    }

    #[test]
    fn int32_fields_reject_int64_literals() {
        let e = err("GroupId eq 3000000000");
        assert_eq!(
            e,
            "The query specified in the URI is not valid. A binary operator with incompatible \
             types was detected. Found operand types 'Edm.Int32' and 'Edm.Int64' for operator \
             kind 'Equal'."
        );
        assert!(err("agentid GT 2147483648").contains("for operator kind 'GreaterThan'."));
        assert!(err("AgentId le -2147483649").contains("'LessThanOrEqual'"));
        assert!(err("GroupId ne 5L").contains("'NotEqual'"));
        assert!(err("3000000000 lt GroupId").contains("'Edm.Int64' and 'Edm.Int32'"));
        for ok in [
            "GroupId eq 2147483647",
            "GroupId eq -2147483648",
            "Other eq 3000000000",
            "GroupId eq 3000000000.5",
            "GroupId eq 99999999999999999999",
        ] {
            assert!(parse_filter(ok, &["GroupId"]).is_ok(), "{ok}");
        }
    }

    #[test]
    fn syntax_errors_name_the_position() {
        assert_eq!(err("Name eq"), "Syntax error at position 7 in 'Name eq'.");
        assert_eq!(
            err("Name eq 'x' foo"),
            "Syntax error at position 12 in 'Name eq 'x' foo'."
        );
        assert_eq!(err(""), "Syntax error at position 0 in ''.");
        assert_eq!(
            err("(Name eq 'x'"),
            "Syntax error at position 12 in '(Name eq 'x''."
        );
        assert_eq!(
            err("Name eq 'x')"),
            "Syntax error at position 11 in 'Name eq 'x')'."
        );
        assert_eq!(
            err("Name eq 'x' and"),
            "Syntax error at position 15 in 'Name eq 'x' and'."
        );
        assert_eq!(
            err("Name # 'x'"),
            "Syntax error at position 5 in 'Name # 'x''."
        );
        assert_eq!(
            err("Name eq 'abc"),
            "There is an unterminated string literal at position 8 in 'Name eq 'abc'."
        );
        assert!(err("Name eq 'it''s").contains("unterminated string literal at position 8"));
        assert!(err("é eq 'x' )").starts_with("Syntax error at position 9 "));
        assert!(err("5").starts_with("Syntax error at position 0"));
        assert!(err("GroupId eq 5abc").starts_with("Syntax error at position 11"));
        assert!(err("GroupId eq 1e999").starts_with("Syntax error"));
        assert!(err("GroupId eq 1.5L").starts_with("Syntax error"));
        assert!(err("Address//City eq 1").starts_with("Syntax error at position 0"));
        assert!(err("contains(Name 'x')").starts_with("Syntax error at position 14"));
        assert!(err("contains(Name, 'x') gt 1").starts_with("Syntax error at position 20"));
        assert!(err("contains(Name, 'x') eq 1").starts_with("Syntax error"));
        assert!(err("Name eq contains(Name, 'x')").starts_with("Syntax error"));
        assert!(err("tolower(5) eq '5'").contains("No function signature"));
        assert!(err("length(Name) eq 3").contains("unknown function with name 'length'"));
        assert!(err("Name eq 'x' or or").starts_with("Syntax error at position 15"));
        assert!(err("()").starts_with("Syntax error at position 1"));
    }

    #[test]
    fn nesting_and_length_are_bounded() {
        let deep = format!("{}GroupId eq 42{}", "(".repeat(32), ")".repeat(32));
        assert!(parse_filter(&deep, &[]).is_ok());
        let deeper = format!("{}GroupId eq 42{}", "(".repeat(33), ")".repeat(33));
        assert!(err(&deeper).contains("nested deeper than the limit of 32"));
        assert!(err(&"not ".repeat(40)).contains("nested deeper"));
        assert!(err(&"tolower(".repeat(100)).contains("nested deeper"));
        assert!(err(&"(".repeat(4096)).contains("nested deeper"));
        let long = format!("Name eq '{}'", "x".repeat(MAX_QUERY_LEN));
        assert!(err(&long).contains("longer than the limit of 4096"));
        // A long flat chain is fine: and/or lists do not nest.
        let chain = vec!["GroupId eq 42"; 200].join(" or ");
        assert!(check(&chain));
    }

    #[test]
    fn order_by_parses() {
        let keys = parse_order_by("GroupId desc").unwrap();
        assert_eq!(
            keys,
            vec![SortKey {
                field: "GroupId".into(),
                descending: true
            }]
        );
        let keys = parse_order_by(" A , B DESC,C asc ,Address/City").unwrap();
        let got: Vec<(&str, bool)> = keys
            .iter()
            .map(|k| (k.field.as_str(), k.descending))
            .collect();
        assert_eq!(
            got,
            [
                ("A", false),
                ("B", true),
                ("C", false),
                ("Address/City", false)
            ]
        );
        assert_eq!(parse_order_by("  ").unwrap(), vec![]);
        assert_eq!(
            parse_order_by("A,,B").unwrap_err(),
            "Syntax error at position 2 in 'A,,B'."
        );
        assert_eq!(
            parse_order_by("A desc x").unwrap_err(),
            "Syntax error at position 7 in 'A desc x'."
        );
        assert_eq!(
            parse_order_by("A up").unwrap_err(),
            "Syntax error at position 2 in 'A up'."
        );
        assert!(parse_order_by("A,").is_err());
        assert!(parse_order_by("tolower(A)").is_err());
        assert!(parse_order_by("é, 1A").unwrap_err().contains("position 3"));
        assert!(parse_order_by(&"A,".repeat(3000))
            .unwrap_err()
            .contains("longer"));
    }

    #[test]
    fn sort_is_stable_multi_key_with_nulls_first() {
        let rows: Vec<Record> = [
            json!({"id": 1, "G": 2, "N": "b"}),
            json!({"id": 2, "G": 10, "N": "a"}),
            json!({"id": 3, "G": 2, "N": "a"}),
            json!({"id": 4, "N": "c"}),
            json!({"id": 5, "G": 2, "N": "a"}),
            json!({"id": 6, "G": null, "N": "B"}),
            json!({"id": 7, "G": 2.5, "N": "a"}),
        ]
        .into_iter()
        .map(rec)
        .collect();
        let ids = |keys: &str| -> Vec<i64> {
            let mut refs: Vec<&Record> = rows.iter().collect();
            sort(&mut refs, &parse_order_by(keys).unwrap());
            refs.iter().map(|r| r["id"].as_i64().unwrap()).collect()
        };
        assert_eq!(ids("G"), [4, 6, 1, 3, 5, 7, 2]);
        assert_eq!(ids("g desc"), [2, 7, 1, 3, 5, 4, 6]);
        assert_eq!(ids("G, N desc"), [4, 6, 1, 3, 5, 7, 2]);
        assert_eq!(ids("N"), [6, 2, 3, 5, 7, 1, 4]); // ordinal: 'B' < 'a'
        assert_eq!(ids("N, G desc"), [6, 2, 7, 3, 5, 1, 4]);
        assert_eq!(ids(""), [1, 2, 3, 4, 5, 6, 7]);
    }

    #[test]
    fn sort_mixed_types_and_huge_numbers_is_total() {
        let rows: Vec<Record> = [
            json!({"v": "x"}),
            json!({"v": 9_007_199_254_740_993u64}),
            json!({"v": 9_007_199_254_740_992.0}),
            json!({"v": true}),
            json!({"v": [1]}),
            json!({"v": 9_007_199_254_740_992i64}),
            json!({}),
            json!({"v": {"a": 1}}),
            json!({"v": -1.5}),
        ]
        .into_iter()
        .map(rec)
        .collect();
        let mut refs: Vec<&Record> = rows.iter().collect();
        sort(&mut refs, &parse_order_by("v").unwrap());
        let got: Vec<String> = refs
            .iter()
            .map(|r| r.get("v").map_or("-".into(), Value::to_string))
            .collect();
        assert_eq!(
            got,
            [
                "-",
                "true",
                "-1.5",
                "9007199254740992.0",
                "9007199254740992",
                "9007199254740993",
                "\"x\"",
                "[1]",
                "{\"a\":1}"
            ]
        );
    }

    #[test]
    fn select_and_project() {
        let fields = parse_select("name, GROUPID ,Address/City").unwrap();
        assert_eq!(fields, ["name", "GROUPID", "Address/City"]);
        let p = project(&device(), &fields);
        assert_eq!(
            Value::Object(p),
            json!({"Name": "WS-Alpha", "GroupId": 42, "Address": {"City": "Leeds"}})
        );
        let p = project(&device(), &["Nope".to_string()]);
        assert!(p.is_empty());
        assert_eq!(project(&device(), &["*".to_string()]), device());
        assert_eq!(parse_select("*").unwrap(), ["*"]);
        assert_eq!(parse_select("").unwrap(), Vec::<String>::new());
        assert_eq!(
            parse_select("A,,B").unwrap_err(),
            "Syntax error at position 2 in 'A,,B'."
        );
        assert!(parse_select("A B").unwrap_err().contains("position 2"));
        assert!(parse_select("A,1B").unwrap_err().contains("position 2"));
    }

    /// xorshift64*: deterministic garbage without extra dependencies.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn garbage_never_panics() {
        const PIECES: [&str; 44] = [
            "Name",
            "GroupId",
            " eq ",
            " ne ",
            " gt ",
            " le ",
            " and ",
            " or ",
            "not ",
            "(",
            ")",
            "'",
            "''",
            "'x'",
            ",",
            "contains(",
            "tolower(",
            "toupper(",
            "startswith(",
            "endswith(",
            "substringof(",
            "42",
            "-",
            "2147483648",
            "1.5",
            "1e5",
            "9L",
            "true",
            "null",
            "2023-07-12T16:15:02Z",
            "2023-",
            "é",
            "\u{0}",
            " ",
            "/",
            "desc",
            "asc",
            "*",
            "Address/City",
            "\u{1F600}",
            "+",
            ".",
            "'tail",
            "9999999999999999999999",
        ];
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let record = device();
        let mut accepted = 0;
        for n in 0..2000 {
            let mut s = String::new();
            for _ in 0..rng.below(16) {
                if rng.below(4) == 0 {
                    // Any char, including multi-byte and control ones.
                    s.push(char::from_u32(rng.below(0x3000) as u32).unwrap_or('?'));
                } else {
                    s.push_str(PIECES[rng.below(PIECES.len())]);
                }
            }
            if n % 100 == 0 {
                s = s.repeat(300);
            }
            if let Ok(f) = parse_filter(&s, &["GroupId"]) {
                accepted += 1;
                f.matches(&record);
            }
            if let Ok(keys) = parse_order_by(&s) {
                let mut refs = vec![&record, &record];
                sort(&mut refs, &keys);
            }
            if let Ok(fields) = parse_select(&s) {
                project(&record, &fields);
            }
            datetime_seconds(&s);
        }
        // The generator must reach past the lexer sometimes, or the test proves little.
        assert!(accepted > 20, "only {accepted} filters parsed");
    }
}
