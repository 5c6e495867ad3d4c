//! Conditions and message templates compiled once, ahead of evaluation, into a tree
//! that reads the resource's JSON directly: names are resolved when the check loads
//! (cel resolves `resource.data.x` on every evaluation, trying each qualified prefix
//! and hashing each one), values are borrowed from the data, and nothing is boxed.
//!
//! It covers the part of CEL the checks use (field selection and `has()`, the logical,
//! comparison and arithmetic operators on ints, strings, timestamps and durations,
//! `in`, the comprehension macros, list literals, and the string and list functions of
//! cel's `strings` and `lists` extensions that checks call). It answers only when it is
//! sure to answer as cel does: a `true` or `false` result, or a field not found (the
//! `field was not collected` error). On anything else, an expression it does not
//! compile, or a value it is unsure of (numbers of mixed types, a non-ASCII string to
//! cut, an error whose text only cel knows), it gives up and the evaluator asks cel
//! (see `crate::evaluate::Evaluator`), so results never differ; `tests/compiled.rs` compares
//! both on every check's fixtures and on a large synthetic inventory.

use std::borrow::Cow;
use std::sync::Arc;

use cel::common::ast::operators as op;
use cel::common::ast::{Expr, LiteralValue};
use chrono::{DateTime, FixedOffset, TimeDelta};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::inventory::Resource;

/// Why an evaluation did not produce a value.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// A field selection found no such key (cel's `NoSuchKey`).
    NoSuchKey(Arc<String>),
    /// Any other error cel reports (its text is cel's to give).
    Other,
    /// Not sure what cel would do: ask it.
    GiveUp,
}

type R<T> = Result<T, Fault>;

/// A value during evaluation, borrowing from the resource, its data and the check.
#[derive(Debug, Clone)]
enum V<'a> {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Double(f64),
    Str(Cow<'a, str>),
    /// A JSON array or object of the data or the parameters.
    Json(&'a Json<'a>),
    List(Vec<V<'a>>),
    Timestamp(DateTime<FixedOffset>),
    Duration(TimeDelta),
    /// The `resource` variable.
    Resource,
    /// `resource.tags`.
    Tags,
}

impl<'a> V<'a> {
    fn of(j: &'a Json<'a>) -> V<'a> {
        match j {
            Json::Null => V::Null,
            Json::Bool(b) => V::Bool(*b),
            Json::Int(i) => V::Int(*i),
            Json::UInt(u) => V::UInt(*u),
            Json::Double(f) => V::Double(*f),
            Json::Str(s) => V::Str(Cow::Borrowed(s)),
            Json::Array(_) | Json::Object(_) => V::Json(j),
        }
    }
}

/// A JSON value borrowing its strings from the text where they need no unescaping;
/// objects are short lists of members, searched in order (a resource's objects have a
/// few keys: no hashing).
#[derive(Debug, Clone, PartialEq)]
pub enum Json<'a> {
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer that fits `i64`.
    Int(i64),
    /// A larger positive integer.
    UInt(u64),
    /// Any other number.
    Double(f64),
    /// A string.
    Str(Cow<'a, str>),
    /// An array.
    Array(Vec<Json<'a>>),
    /// An object, its members in document order.
    Object(Vec<(Cow<'a, str>, Json<'a>)>),
}

impl<'a> Json<'a> {
    /// Parses JSON text (numbers as cel's JSON conversion types them).
    pub fn parse(text: &'a str) -> Result<Self, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_str(text);
        let v = JsonSeed.deserialize(&mut de)?;
        de.end()?;
        Ok(v)
    }

    /// An owned copy of a `serde_json` value.
    pub fn from_value(v: &serde_json::Value) -> Json<'static> {
        match v {
            serde_json::Value::Null => Json::Null,
            serde_json::Value::Bool(b) => Json::Bool(*b),
            serde_json::Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
                (Some(i), _, _) => Json::Int(i),
                (None, Some(u), _) => Json::UInt(u),
                (_, _, Some(f)) => Json::Double(f),
                _ => Json::Null,
            },
            serde_json::Value::String(s) => Json::Str(Cow::Owned(s.clone())),
            serde_json::Value::Array(items) => {
                Json::Array(items.iter().map(Json::from_value).collect())
            }
            serde_json::Value::Object(m) => Json::Object(
                m.iter()
                    .map(|(k, v)| (Cow::Owned(k.clone()), Json::from_value(v)))
                    .collect(),
            ),
        }
    }
}

/// The member `key` of an object (the last, if the text repeats it).
fn member<'j, 'a>(members: &'j [(Cow<'a, str>, Json<'a>)], key: &str) -> Option<&'j Json<'a>> {
    members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
}

struct JsonSeed;

impl<'de> DeserializeSeed<'de> for JsonSeed {
    type Value = Json<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Json::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(match i64::try_from(v) {
            Ok(i) => Json::Int(i),
            Err(_) => Json::UInt(v),
        })
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Json::Double(v))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Json::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Json::Str(Cow::Owned(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Json::Str(Cow::Owned(v)))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Json::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Json::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(v) = seq.next_element_seed(JsonSeed)? {
            items.push(v);
        }
        Ok(Json::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(k) = map.next_key::<Cow<'de, str>>()? {
            let v = map.next_value_seed(JsonSeed)?;
            members.push((k, v));
        }
        Ok(Json::Object(members))
    }
}

/// Room for the variables of comprehensions, reused from one evaluation to the next.
#[derive(Default)]
pub struct Scratch<'a>(Vec<V<'a>>);

/// What an evaluation reads.
pub struct Scope<'a> {
    /// The resource.
    pub resource: &'a Resource,
    /// Its data, parsed.
    pub data: &'a Json<'a>,
    /// The check's parameters.
    pub params: &'a Json<'a>,
    /// The inventory's collection time.
    pub now: DateTime<FixedOffset>,
}

/// A compiled expression.
#[derive(Debug)]
pub struct Compiled {
    root: Node,
    slots: usize,
}

#[derive(Debug)]
enum Var {
    Resource,
    Params,
    Now,
    Local(usize),
}

#[derive(Debug, Clone, Copy)]
enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy)]
enum Arith {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, Copy)]
enum Func {
    Size,
    Contains,
    StartsWith,
    EndsWith,
    Matches,
    LowerAscii,
    UpperAscii,
    Replace,
    Substring,
    Split,
    Join,
    Flatten,
    String,
    Int,
    Timestamp,
    Duration,
}

#[derive(Debug)]
enum Node {
    Lit(Lit),
    Var(Var),
    Select(Box<Node>, Arc<String>, bool),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Not(Box<Node>),
    NotStrictlyFalse(Box<Node>),
    Cond(Box<Node>, Box<Node>, Box<Node>),
    Eq(Box<Node>, Box<Node>, bool),
    Cmp(Cmp, Box<Node>, Box<Node>),
    Arith(Arith, Box<Node>, Box<Node>),
    Neg(Box<Node>),
    In(Box<Node>, Box<Node>),
    Index(Box<Node>, Box<Node>),
    List(Vec<Node>),
    /// A function; `true` for a member call (`target.f(args)`, the target first).
    Call(Func, Vec<Node>, bool),
    Loop(Box<Loop>),
}

#[derive(Debug)]
enum Lit {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Double(f64),
    Str(String),
}

#[derive(Debug)]
struct Loop {
    range: Node,
    item: usize,
    accu: usize,
    init: Node,
    cond: Node,
    step: Node,
    result: Node,
    /// `@result && x` (false) or `@result || x` (true): errors wait for a later
    /// element that decides the result (cel's deferred errors).
    fold: Option<bool>,
}

/// Compiles `expr`; `None` when it uses something this evaluator does not cover.
pub fn compile(expr: &cel::IdedExpr) -> Option<Compiled> {
    let mut c = Compiler {
        names: Vec::new(),
        slots: 0,
    };
    let root = c.node(expr)?;
    Some(Compiled {
        root,
        slots: c.slots,
    })
}

struct Compiler {
    /// Comprehension variables in scope, innermost last.
    names: Vec<(String, usize)>,
    slots: usize,
}

impl Compiler {
    fn boxed(&mut self, e: &cel::IdedExpr) -> Option<Box<Node>> {
        self.node(e).map(Box::new)
    }

    fn node(&mut self, e: &cel::IdedExpr) -> Option<Node> {
        Some(match &e.expr {
            Expr::Literal(l) => Node::Lit(match l {
                LiteralValue::Null => Lit::Null,
                LiteralValue::Boolean(b) => Lit::Bool(*b.inner()),
                LiteralValue::Int(i) => Lit::Int(*i.inner()),
                LiteralValue::UInt(u) => Lit::UInt(*u.inner()),
                LiteralValue::Double(d) => Lit::Double(*d.inner()),
                LiteralValue::String(s) => Lit::Str(s.inner().to_string()),
                LiteralValue::Bytes(_) => return None,
            }),
            Expr::Ident(name) => Node::Var(self.var(name)?),
            Expr::Select(s) => {
                Node::Select(self.boxed(&s.operand)?, Arc::new(s.field.clone()), s.test)
            }
            Expr::List(l) if l.optional_indices.is_empty() => Node::List(
                l.elements
                    .iter()
                    .map(|e| self.node(e))
                    .collect::<Option<Vec<_>>>()?,
            ),
            Expr::Call(call) => self.call(call)?,
            Expr::Comprehension(c) if c.iter_var2.is_none() => {
                let range = self.node(&c.iter_range)?;
                let init = self.node(&c.accu_init)?;
                let accu = self.slot();
                self.names.push((c.accu_var.clone(), accu));
                let cond = self.node(&c.loop_cond);
                let item = self.slot();
                self.names.push((c.iter_var.clone(), item));
                let step = self.node(&c.loop_step);
                self.names.pop();
                let result = self.node(&c.result);
                self.names.pop();
                let fold = match &c.loop_step.expr {
                    Expr::Call(call)
                        if call.target.is_none()
                            && matches!(call.args.first().map(|a| &a.expr),
                                Some(Expr::Ident(n)) if *n == c.accu_var) =>
                    {
                        match call.func_name.as_str() {
                            op::LOGICAL_AND => Some(false),
                            op::LOGICAL_OR => Some(true),
                            _ => None,
                        }
                    }
                    _ => None,
                };
                Node::Loop(Box::new(Loop {
                    range,
                    item,
                    accu,
                    init,
                    cond: cond?,
                    step: step?,
                    result: result?,
                    fold,
                }))
            }
            _ => return None,
        })
    }

    fn slot(&mut self) -> usize {
        self.slots += 1;
        self.slots - 1
    }

    fn var(&self, name: &str) -> Option<Var> {
        if let Some((_, slot)) = self.names.iter().rev().find(|(n, _)| n == name) {
            return Some(Var::Local(*slot));
        }
        match name {
            "resource" => Some(Var::Resource),
            "params" => Some(Var::Params),
            "now" => Some(Var::Now),
            _ => None,
        }
    }

    fn call(&mut self, call: &cel::common::ast::CallExpr) -> Option<Node> {
        let args = &call.args;
        let name = call.func_name.as_str();
        if let Some(target) = &call.target {
            // A member call on a name that is no variable may be a namespaced function.
            if let Expr::Ident(n) = &target.expr
                && self.var(n).is_none()
            {
                return None;
            }
            let func = match (name, args.len()) {
                ("size", 0) => Func::Size,
                ("contains", 1) => Func::Contains,
                ("startsWith", 1) => Func::StartsWith,
                ("endsWith", 1) => Func::EndsWith,
                ("matches", 1) => Func::Matches,
                ("lowerAscii", 0) => Func::LowerAscii,
                ("upperAscii", 0) => Func::UpperAscii,
                ("replace", 2) => Func::Replace,
                ("substring", 1 | 2) => Func::Substring,
                ("split", 1) => Func::Split,
                ("join", 0 | 1) => Func::Join,
                ("flatten", 0) => Func::Flatten,
                _ => return None,
            };
            let mut all = vec![self.node(target)?];
            for a in args {
                all.push(self.node(a)?);
            }
            return Some(Node::Call(func, all, true));
        }
        let b = |c: &mut Self, i: usize| c.boxed(&args[i]);
        Some(match (name, args.len()) {
            (op::LOGICAL_AND, 2) => Node::And(b(self, 0)?, b(self, 1)?),
            (op::LOGICAL_OR, 2) => Node::Or(b(self, 0)?, b(self, 1)?),
            (op::LOGICAL_NOT, 1) => Node::Not(b(self, 0)?),
            (op::NOT_STRICTLY_FALSE, 1) => Node::NotStrictlyFalse(b(self, 0)?),
            (op::CONDITIONAL, 3) => Node::Cond(b(self, 0)?, b(self, 1)?, b(self, 2)?),
            (op::EQUALS, 2) => Node::Eq(b(self, 0)?, b(self, 1)?, true),
            (op::NOT_EQUALS, 2) => Node::Eq(b(self, 0)?, b(self, 1)?, false),
            (op::LESS, 2) => Node::Cmp(Cmp::Lt, b(self, 0)?, b(self, 1)?),
            (op::LESS_EQUALS, 2) => Node::Cmp(Cmp::Le, b(self, 0)?, b(self, 1)?),
            (op::GREATER, 2) => Node::Cmp(Cmp::Gt, b(self, 0)?, b(self, 1)?),
            (op::GREATER_EQUALS, 2) => Node::Cmp(Cmp::Ge, b(self, 0)?, b(self, 1)?),
            (op::ADD, 2) => Node::Arith(Arith::Add, b(self, 0)?, b(self, 1)?),
            (op::SUBSTRACT, 2) => Node::Arith(Arith::Sub, b(self, 0)?, b(self, 1)?),
            (op::MULTIPLY, 2) => Node::Arith(Arith::Mul, b(self, 0)?, b(self, 1)?),
            (op::DIVIDE, 2) => Node::Arith(Arith::Div, b(self, 0)?, b(self, 1)?),
            (op::NEGATE, 1) => Node::Neg(b(self, 0)?),
            (op::IN, 2) => Node::In(b(self, 0)?, b(self, 1)?),
            (op::INDEX, 2) => Node::Index(b(self, 0)?, b(self, 1)?),
            ("size", 1) => Node::Call(Func::Size, vec![self.node(&args[0])?], false),
            ("string", 1) => Node::Call(Func::String, vec![self.node(&args[0])?], false),
            ("int", 1) => Node::Call(Func::Int, vec![self.node(&args[0])?], false),
            ("timestamp", 1) => Node::Call(Func::Timestamp, vec![self.node(&args[0])?], false),
            ("duration", 1) => Node::Call(Func::Duration, vec![self.node(&args[0])?], false),
            _ => return None,
        })
    }
}

impl Compiled {
    /// Evaluates a condition: `Ok(true)` fails the resource. `scratch` holds the
    /// comprehension variables; one serves every check of a resource.
    pub fn condition<'a>(&'a self, scope: &Scope<'a>, scratch: &mut Scratch<'a>) -> R<bool> {
        let locals = &mut scratch.0;
        locals.clear();
        locals.resize(self.slots, V::Null);
        match eval(&self.root, scope, locals)? {
            V::Bool(b) => Ok(b),
            _ => Err(Fault::GiveUp),
        }
    }

    /// Evaluates a template part as a person reads it (see
    /// [`crate::checks::template::display`]); `Ok(None)` when it evaluates to an error
    /// (the template shows `?`).
    pub fn text(&self, scope: &Scope<'_>) -> R<Option<String>> {
        let mut locals = vec![V::Null; self.slots];
        match eval(&self.root, scope, &mut locals) {
            Ok(v) => {
                let mut out = String::new();
                display(&v, &mut out)?;
                Ok(Some(out))
            }
            Err(Fault::GiveUp) => Err(Fault::GiveUp),
            Err(_) => Ok(None),
        }
    }
}

fn display(v: &V<'_>, out: &mut String) -> R<()> {
    match v {
        V::Str(s) => out.push_str(s),
        V::Int(i) => out.push_str(&i.to_string()),
        V::UInt(u) => out.push_str(&u.to_string()),
        V::Double(f) => out.push_str(&f.to_string()),
        V::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        V::Null => out.push('-'),
        V::List(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                display(item, out)?;
            }
        }
        V::Json(Json::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                display(&V::of(item), out)?;
            }
        }
        _ => return Err(Fault::GiveUp),
    }
    Ok(())
}

fn truth(v: R<V<'_>>) -> R<bool> {
    match v? {
        V::Bool(b) => Ok(b),
        _ => Err(Fault::Other),
    }
}

fn eval<'a>(node: &'a Node, s: &Scope<'a>, locals: &mut Vec<V<'a>>) -> R<V<'a>> {
    match node {
        Node::Lit(l) => Ok(match l {
            Lit::Null => V::Null,
            Lit::Bool(b) => V::Bool(*b),
            Lit::Int(i) => V::Int(*i),
            Lit::UInt(u) => V::UInt(*u),
            Lit::Double(d) => V::Double(*d),
            Lit::Str(t) => V::Str(Cow::Borrowed(t)),
        }),
        Node::Var(v) => Ok(match v {
            Var::Resource => V::Resource,
            Var::Params => V::Json(s.params),
            Var::Now => V::Timestamp(s.now),
            Var::Local(i) => locals[*i].clone(),
        }),
        Node::Select(operand, field, test) => {
            let left = eval(operand, s, locals)?;
            select(s, left, field, *test)
        }
        Node::Or(a, b) | Node::And(a, b) => {
            let or = matches!(node, Node::Or(..));
            let left = truth(eval(a, s, locals));
            if matches!(left, Err(Fault::GiveUp)) {
                return Err(Fault::GiveUp);
            }
            if left == Ok(or) {
                return Ok(V::Bool(or));
            }
            let right = match eval(b, s, locals)? {
                V::Bool(r) => Some(r),
                _ => None,
            };
            match (left, right) {
                (Ok(_), Some(r)) => Ok(V::Bool(r)),
                (Err(_), Some(r)) if r == or => Ok(V::Bool(or)),
                (Err(Fault::NoSuchKey(k)), _) => Err(Fault::NoSuchKey(k)),
                _ => Err(Fault::Other),
            }
        }
        Node::Not(a) => match eval(a, s, locals)? {
            V::Bool(b) => Ok(V::Bool(!b)),
            _ => Err(Fault::Other),
        },
        Node::NotStrictlyFalse(a) => match truth(eval(a, s, locals)) {
            Err(Fault::GiveUp) => Err(Fault::GiveUp),
            r => Ok(V::Bool(r.unwrap_or(true))),
        },
        Node::Cond(c, a, b) => {
            if truth(eval(c, s, locals))? {
                eval(a, s, locals)
            } else {
                eval(b, s, locals)
            }
        }
        Node::Eq(a, b, want) => {
            let l = eval(a, s, locals)?;
            let r = eval(b, s, locals)?;
            Ok(V::Bool(equal(&l, &r)? == *want))
        }
        Node::Cmp(c, a, b) => {
            let l = eval(a, s, locals)?;
            let r = eval(b, s, locals)?;
            let o = order(&l, &r)?;
            Ok(V::Bool(match c {
                Cmp::Lt => o.is_lt(),
                Cmp::Le => o.is_le(),
                Cmp::Gt => o.is_gt(),
                Cmp::Ge => o.is_ge(),
            }))
        }
        Node::Arith(o, a, b) => {
            let l = eval(a, s, locals)?;
            let r = eval(b, s, locals)?;
            arith(*o, l, r)
        }
        Node::Neg(a) => match eval(a, s, locals)? {
            V::Int(i) => i.checked_neg().map(V::Int).ok_or(Fault::GiveUp),
            _ => Err(Fault::GiveUp),
        },
        Node::In(a, b) => {
            let l = eval(a, s, locals)?;
            let r = eval(b, s, locals)?;
            match r {
                V::List(items) => contains(&l, items.iter().cloned()),
                V::Json(Json::Array(items)) => contains(&l, items.iter().map(V::of)),
                V::Json(Json::Object(m)) => match l {
                    V::Str(k) => Ok(V::Bool(member(m, &k).is_some())),
                    _ => Err(Fault::GiveUp),
                },
                V::Tags => match l {
                    V::Str(k) => Ok(V::Bool(s.resource.tags.contains_key(k.as_ref()))),
                    _ => Err(Fault::GiveUp),
                },
                _ => Err(Fault::GiveUp),
            }
        }
        Node::Index(a, b) => {
            let l = eval(a, s, locals)?;
            let i = eval(b, s, locals)?;
            match (l, i) {
                (V::Json(Json::Array(items)), V::Int(i)) => usize::try_from(i)
                    .ok()
                    .and_then(|i| items.get(i))
                    .map(V::of)
                    .ok_or(Fault::GiveUp),
                (V::List(items), V::Int(i)) => usize::try_from(i)
                    .ok()
                    .and_then(|i| items.get(i).cloned())
                    .ok_or(Fault::GiveUp),
                (V::Json(Json::Object(m)), V::Str(k)) => {
                    member(m, &k).map(V::of).ok_or(Fault::GiveUp)
                }
                _ => Err(Fault::GiveUp),
            }
        }
        Node::List(items) => Ok(V::List(
            items
                .iter()
                .map(|n| eval(n, s, locals))
                .collect::<R<Vec<_>>>()?,
        )),
        Node::Call(f, args, member) => {
            // Functions take at most three arguments (the target included).
            let mut vals = [V::Null, V::Null, V::Null];
            if args.len() > vals.len() {
                return Err(Fault::GiveUp);
            }
            // cel evaluates a member call's arguments before its target.
            let first = usize::from(*member);
            for (slot, n) in vals.iter_mut().zip(args).skip(first) {
                *slot = eval(n, s, locals)?;
            }
            if *member && let Some(target) = args.first() {
                vals[0] = eval(target, s, locals)?;
            }
            call(*f, vals, args.len())
        }
        Node::Loop(l) => run_loop(l, s, locals),
    }
}

fn run_loop<'a>(l: &'a Loop, s: &Scope<'a>, locals: &mut Vec<V<'a>>) -> R<V<'a>> {
    let init = eval(&l.init, s, locals)?;
    let range = eval(&l.range, s, locals)?;
    // A map's keys come in cel's hash order, which only an `exists()` or `all()`
    // without errors does not depend on: anything else over a map is left to cel.
    let keys = matches!(range, V::Json(Json::Object(_)) | V::Tags);
    if keys && l.fold.is_none() {
        return Err(Fault::GiveUp);
    }
    // The elements, without copying the data's own arrays.
    let owned: Vec<V<'a>>;
    let mut items: Box<dyn Iterator<Item = V<'a>> + '_> = match range {
        V::List(items) => {
            owned = items;
            Box::new(owned.into_iter())
        }
        V::Json(Json::Array(items)) => Box::new(items.iter().map(V::of)),
        V::Json(Json::Object(m)) => Box::new(m.iter().map(|(k, _)| V::Str(Cow::Borrowed(k)))),
        V::Tags => Box::new(s.resource.tags.keys().map(|k| V::Str(Cow::Borrowed(k)))),
        _ => return Err(Fault::Other),
    };
    locals[l.accu] = init;
    let mut pending: Option<Fault> = None;
    for item in &mut items {
        if !truth(eval(&l.cond, s, locals))? {
            break;
        }
        locals[l.item] = item;
        let step = eval(&l.step, s, locals);
        match (step, l.fold) {
            (Err(Fault::GiveUp), _) => return Err(Fault::GiveUp),
            (Err(_), _) if keys => return Err(Fault::GiveUp),
            (Err(e), Some(_)) => pending = Some(e),
            (Err(e), None) => return Err(e),
            (Ok(accu), Some(absorbing)) if pending.is_some() => {
                if matches!(accu, V::Bool(b) if b == absorbing) {
                    pending = None;
                    locals[l.accu] = accu;
                }
            }
            (Ok(accu), _) => {
                pending = None;
                locals[l.accu] = accu;
            }
        }
    }
    if let Some(e) = pending {
        return Err(e);
    }
    eval(&l.result, s, locals)
}

fn select<'a>(s: &Scope<'a>, left: V<'a>, name: &Arc<String>, test: bool) -> R<V<'a>> {
    let field = name.as_str();
    let missing = || Fault::NoSuchKey(name.clone());
    let found: Option<V<'a>> = match left {
        V::Json(Json::Object(m)) => member(m, field).map(V::of),
        V::Resource => {
            let r = s.resource;
            match field {
                "kind" => Some(V::Str(Cow::Borrowed(&r.kind))),
                "id" => Some(V::Str(Cow::Borrowed(&r.id))),
                "name" => Some(V::Str(Cow::Borrowed(r.display_name()))),
                "region" => Some(
                    r.region
                        .as_deref()
                        .map_or(V::Null, |x| V::Str(Cow::Borrowed(x))),
                ),
                "scope" => Some(V::Str(Cow::Borrowed(&r.scope))),
                "tags" => Some(V::Tags),
                "data" => Some(V::of(s.data)),
                _ => None,
            }
        }
        V::Tags => s.resource.tags.get(field).map(|t| V::Str(Cow::Borrowed(t))),
        // A list is indexed by position: a field of it is no overload (an error).
        V::Json(Json::Array(_)) | V::List(_) => return Err(Fault::Other),
        // Selecting on a scalar is an error too.
        V::Null | V::Bool(_) | V::Int(_) | V::UInt(_) | V::Double(_) | V::Str(_) => {
            return Err(Fault::Other);
        }
        _ => return Err(Fault::GiveUp),
    };
    match (found, test) {
        (Some(_), true) => Ok(V::Bool(true)),
        (None, true) => Ok(V::Bool(false)),
        (Some(v), false) => Ok(v),
        (None, false) => Err(missing()),
    }
}

/// CEL equality on the values this evaluator is sure of.
fn equal(l: &V<'_>, r: &V<'_>) -> R<bool> {
    Ok(match (l, r) {
        (V::Null, V::Null) => true,
        (V::Bool(a), V::Bool(b)) => a == b,
        (V::Int(a), V::Int(b)) => a == b,
        (V::UInt(a), V::UInt(b)) => a == b,
        (V::Str(a), V::Str(b)) => a == b,
        (V::Timestamp(a), V::Timestamp(b)) => a == b,
        (V::Duration(a), V::Duration(b)) => a == b,
        // Numbers of mixed types, lists, maps: left to cel.
        (V::Int(_) | V::UInt(_) | V::Double(_), V::Int(_) | V::UInt(_) | V::Double(_))
        | (V::Json(_) | V::List(_) | V::Resource | V::Tags, _)
        | (_, V::Json(_) | V::List(_) | V::Resource | V::Tags) => return Err(Fault::GiveUp),
        // Values of different types are not equal.
        _ => false,
    })
}

fn order(l: &V<'_>, r: &V<'_>) -> R<std::cmp::Ordering> {
    match (l, r) {
        (V::Int(a), V::Int(b)) => Ok(a.cmp(b)),
        (V::UInt(a), V::UInt(b)) => Ok(a.cmp(b)),
        (V::Str(a), V::Str(b)) => Ok(a.cmp(b)),
        (V::Timestamp(a), V::Timestamp(b)) => Ok(a.cmp(b)),
        (V::Duration(a), V::Duration(b)) => Ok(a.cmp(b)),
        _ => Err(Fault::GiveUp),
    }
}

fn contains<'a>(l: &V<'a>, items: impl Iterator<Item = V<'a>>) -> R<V<'a>> {
    for item in items {
        if equal(l, &item)? {
            return Ok(V::Bool(true));
        }
    }
    Ok(V::Bool(false))
}

/// cel's duration range: about ±10,000 years.
const MAX_SECONDS: i64 = 315_576_000_000;

fn arith<'a>(o: Arith, l: V<'a>, r: V<'a>) -> R<V<'a>> {
    let give_up = || Fault::GiveUp;
    Ok(match (o, l, r) {
        (Arith::Add, V::Int(a), V::Int(b)) => V::Int(a.checked_add(b).ok_or_else(give_up)?),
        (Arith::Sub, V::Int(a), V::Int(b)) => V::Int(a.checked_sub(b).ok_or_else(give_up)?),
        (Arith::Mul, V::Int(a), V::Int(b)) => V::Int(a.checked_mul(b).ok_or_else(give_up)?),
        (Arith::Div, V::Int(a), V::Int(b)) if b != 0 => {
            V::Int(a.checked_div(b).ok_or_else(give_up)?)
        }
        (Arith::Add, V::Str(a), V::Str(b)) => V::Str(Cow::Owned(format!("{a}{b}"))),
        (
            Arith::Add,
            a @ (V::List(_) | V::Json(Json::Array(_))),
            b @ (V::List(_) | V::Json(Json::Array(_))),
        ) => {
            let mut items = elements(a).ok_or_else(give_up)?;
            items.extend(elements(b).ok_or_else(give_up)?);
            V::List(items)
        }
        (Arith::Add | Arith::Sub, V::Timestamp(t), V::Duration(d)) => {
            let t = if matches!(o, Arith::Add) {
                t.checked_add_signed(d)
            } else {
                t.checked_sub_signed(d)
            }
            .ok_or_else(give_up)?;
            if !(1..=9999).contains(&chrono::Datelike::year(&t)) {
                return Err(give_up());
            }
            V::Timestamp(t)
        }
        (Arith::Sub, V::Timestamp(a), V::Timestamp(b)) => {
            let d = a.signed_duration_since(b);
            if d.num_seconds().abs() > MAX_SECONDS {
                return Err(give_up());
            }
            V::Duration(d)
        }
        _ => return Err(give_up()),
    })
}

/// The elements of a list.
fn elements<'a>(v: V<'a>) -> Option<Vec<V<'a>>> {
    match v {
        V::List(items) => Some(items),
        V::Json(Json::Array(items)) => Some(items.iter().map(V::of).collect()),
        _ => None,
    }
}

fn string<'a, 'b>(v: &'b V<'a>) -> R<&'b str> {
    match v {
        V::Str(s) => Ok(s),
        _ => Err(Fault::GiveUp),
    }
}

fn call<'a>(f: Func, mut args: [V<'a>; 3], count: usize) -> R<V<'a>> {
    let give_up = || Fault::GiveUp;
    let arg = |i: usize| args[..count].get(i).ok_or(Fault::GiveUp);
    Ok(match f {
        Func::Size => match arg(0)? {
            V::Str(s) if s.is_ascii() => V::Int(i64::try_from(s.len()).map_err(|_| give_up())?),
            V::List(items) => V::Int(i64::try_from(items.len()).map_err(|_| give_up())?),
            V::Json(Json::Array(items)) => {
                V::Int(i64::try_from(items.len()).map_err(|_| give_up())?)
            }
            V::Json(Json::Object(m)) => V::Int(i64::try_from(m.len()).map_err(|_| give_up())?),
            _ => return Err(give_up()),
        },
        Func::Contains => V::Bool(string(arg(0)?)?.contains(string(arg(1)?)?)),
        Func::StartsWith => V::Bool(string(arg(0)?)?.starts_with(string(arg(1)?)?)),
        Func::EndsWith => V::Bool(string(arg(0)?)?.ends_with(string(arg(1)?)?)),
        Func::Matches => {
            V::Bool(is_match(string(arg(0)?)?, string(arg(1)?)?).map_err(|_| Fault::Other)?)
        }
        Func::LowerAscii => V::Str(Cow::Owned(string(arg(0)?)?.to_ascii_lowercase())),
        Func::UpperAscii => V::Str(Cow::Owned(string(arg(0)?)?.to_ascii_uppercase())),
        Func::Replace => {
            let (s, from, to) = (string(arg(0)?)?, string(arg(1)?)?, string(arg(2)?)?);
            if from.is_empty() {
                return Err(give_up());
            }
            V::Str(Cow::Owned(s.replace(from, to)))
        }
        Func::Substring => {
            let s = string(arg(0)?)?;
            if !s.is_ascii() {
                return Err(give_up());
            }
            let index = |v: &V<'_>| match v {
                V::Int(i) => usize::try_from(*i).ok().filter(|i| *i <= s.len()),
                _ => None,
            };
            let start = index(arg(1)?).ok_or_else(give_up)?;
            let end = match args[..count].get(2) {
                Some(v) => index(v).ok_or_else(give_up)?,
                None => s.len(),
            };
            if start > end {
                return Err(give_up());
            }
            V::Str(Cow::Owned(s[start..end].to_string()))
        }
        Func::Split => {
            let (s, sep) = (string(arg(0)?)?, string(arg(1)?)?);
            if sep.is_empty() {
                return Err(give_up());
            }
            V::List(
                s.split(sep)
                    .map(|p| V::Str(Cow::Owned(p.to_string())))
                    .collect(),
            )
        }
        Func::Join => {
            let sep = match args[..count].get(1) {
                Some(v) => string(v)?.to_string(),
                None => String::new(),
            };
            let items: Vec<V<'a>> = match std::mem::replace(&mut args[0], V::Null) {
                V::List(items) => items,
                V::Json(Json::Array(items)) => items.iter().map(V::of).collect(),
                _ => return Err(give_up()),
            };
            let parts = items
                .iter()
                .map(|v| string(v).map(str::to_string))
                .collect::<R<Vec<_>>>()?;
            V::Str(Cow::Owned(parts.join(&sep)))
        }
        Func::Flatten => {
            let items: Vec<V<'a>> = match std::mem::replace(&mut args[0], V::Null) {
                V::List(items) => items,
                V::Json(Json::Array(items)) => items.iter().map(V::of).collect(),
                _ => return Err(give_up()),
            };
            let mut out = Vec::new();
            for item in items {
                match item {
                    V::List(inner) => out.extend(inner),
                    V::Json(Json::Array(inner)) => out.extend(inner.iter().map(V::of)),
                    _ => return Err(give_up()),
                }
            }
            V::List(out)
        }
        Func::String => match std::mem::replace(&mut args[0], V::Null) {
            V::Str(s) => V::Str(s),
            V::Int(i) => V::Str(Cow::Owned(i.to_string())),
            V::UInt(u) => V::Str(Cow::Owned(u.to_string())),
            V::Bool(b) => V::Str(Cow::Borrowed(if b { "true" } else { "false" })),
            _ => return Err(give_up()),
        },
        Func::Int => match arg(0)? {
            V::Int(i) => V::Int(*i),
            V::Str(s) => V::Int(s.parse::<i64>().map_err(|_| give_up())?),
            _ => return Err(give_up()),
        },
        Func::Timestamp => {
            let t = DateTime::parse_from_rfc3339(string(arg(0)?)?).map_err(|_| give_up())?;
            let year = chrono::Datelike::year(&t);
            if !(1..=9999).contains(&year) {
                return Err(give_up());
            }
            V::Timestamp(t)
        }
        Func::Duration => V::Duration(duration(string(arg(0)?)?).ok_or_else(give_up)?),
    })
}

/// A duration of whole numbers of hours, minutes and seconds (`2160h`, `1h30m`,
/// `90s`); other forms are left to cel.
fn duration(text: &str) -> Option<TimeDelta> {
    let mut total: i64 = 0;
    let mut rest = text;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 12 {
            return None;
        }
        let n: i64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit = if rest.starts_with("ms") || rest.starts_with("us") || rest.starts_with("ns") {
            return None;
        } else if let Some(r) = rest.strip_prefix('h') {
            rest = r;
            3600
        } else if let Some(r) = rest.strip_prefix('m') {
            rest = r;
            60
        } else if let Some(r) = rest.strip_prefix('s') {
            rest = r;
            1
        } else {
            return None;
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
    }
    if total > MAX_SECONDS {
        return None;
    }
    TimeDelta::try_seconds(total)
}

/// Whether `re` matches `text` (anywhere), with `re` compiled once per thread: what
/// the checks' `matches()` does, compiled or not.
pub fn is_match(text: &str, re: &str) -> Result<bool, regex::Error> {
    use std::cell::RefCell;
    thread_local! {
        static CACHE: RefCell<rustc_hash::FxHashMap<String, regex::Regex>> =
            RefCell::new(rustc_hash::FxHashMap::default());
    }
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(r) = cache.get(re) {
            return Ok(r.is_match(text));
        }
        let compiled = regex::Regex::new(re)?;
        let hit = compiled.is_match(text);
        cache.insert(re.to_string(), compiled);
        Ok(hit)
    })
}
