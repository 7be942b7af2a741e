//! How the double answers selections: every entity becomes an [`Obj`], a map of the leaf
//! fields it models plus links to other entities, resolved one field at a time by
//! apollo-compiler's executor (so aliases, fragments, `__typename` and null propagation work as
//! in any GraphQL server). A field the schema has but the double does not model answers a field
//! error and a violation naming the gap.

use std::cell::RefCell;

use apollo_compiler::resolvers::{FieldError, ObjectValue, ResolveInfo, ResolvedValue};
use serde_json::{Map, Value};

use super::errors::{LinearError, LinearErrorType};
use crate::state::Inner;

/// What one operation's resolvers share: the state (mutations change it), who is asking, and
/// the errors and violations found while resolving.
pub(crate) struct Ctx<'a> {
    pub inner: RefCell<&'a mut Inner>,
    pub viewer_id: String,
    /// Resolver errors with their Linear type, in the order they happened.
    pub errors: RefCell<Vec<LinearError>>,
    pub violations: RefCell<Vec<String>>,
}

impl Ctx<'_> {
    /// Records `error` for the response and answers the executor's field error.
    pub fn fail(&self, error: LinearError, violation: Option<String>) -> FieldError {
        self.violations.borrow_mut().extend(violation);
        let message = error.message.clone();
        self.errors.borrow_mut().push(error);
        FieldError { message }
    }

    /// An invalid-input refusal that is also a contract violation.
    pub fn refuse(&self, operation: &str, error: LinearError) -> FieldError {
        let violation = format!("{operation}: {}", error.message);
        self.fail(error, Some(violation))
    }

    fn not_modeled(&self, type_name: &str, field: &str) -> FieldError {
        let message = format!("linear-double does not model {type_name}.{field}");
        self.fail(LinearError::new(LinearErrorType::InternalError, message.clone()), Some(message))
    }
}

/// A reference to something the double can answer.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum EntityRef {
    Issue(String),
    Team(String),
    State(String),
    Label(String),
    Project(String),
    User(String),
    Organization,
    Session(String),
    Activity {
        session_id: String,
        id: String,
    },
    /// An activity's `content` (the `AgentActivityContent` union).
    Content {
        session_id: String,
        id: String,
    },
    Comment(String),
    PageInfo {
        has_next_page: bool,
    },
}

/// Where an object field leads.
#[derive(Clone, Debug)]
pub(crate) enum Link {
    One(Option<EntityRef>),
    List(Vec<EntityRef>),
    /// A `*Connection` of `type_name` (`nodes`, `pageInfo`; `first` and `filter` applied).
    Connection {
        type_name: &'static str,
        nodes: Vec<EntityRef>,
    },
    /// Objects built in place (`AgentSession.externalLinks`).
    Objects(Vec<Obj0>),
}

/// An object without its context: a type name, leaves and links.
#[derive(Clone, Debug)]
pub(crate) struct Obj0 {
    pub type_name: String,
    pub leaves: Map<String, Value>,
    pub links: Vec<(&'static str, Link)>,
}

impl Obj0 {
    pub fn new(type_name: impl Into<String>) -> Self {
        Self { type_name: type_name.into(), leaves: Map::new(), links: Vec::new() }
    }

    pub fn leaf(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.leaves.insert(name.to_string(), value.into());
        self
    }

    pub fn link(mut self, name: &'static str, link: Link) -> Self {
        self.links.push((name, link));
        self
    }

    pub fn one(self, name: &'static str, entity: Option<EntityRef>) -> Self {
        self.link(name, Link::One(entity))
    }
}

/// An object being resolved.
pub(crate) struct Obj<'c, 'a> {
    pub ctx: &'c Ctx<'a>,
    pub object: Obj0,
}

impl<'c, 'a> Obj<'c, 'a> {
    /// Loads an entity, or `None` if it no longer exists.
    pub fn load(ctx: &'c Ctx<'a>, entity: &EntityRef) -> Option<Self> {
        let inner = ctx.inner.borrow();
        super::entities::build(&inner, &ctx.viewer_id, entity).map(|object| Self { ctx, object })
    }

    fn follow(&self, link: &Link, info: &ResolveInfo<'_>) -> Result<ResolvedValue<'c>, FieldError> {
        let ctx = self.ctx;
        match link {
            Link::One(entity) => Ok(ResolvedValue::nullable_object(entity.as_ref().and_then(|e| Obj::load(ctx, e)))),
            Link::List(entities) => {
                let objects: Vec<_> =
                    entities.iter().filter_map(|e| Obj::load(ctx, e)).map(ResolvedValue::object).collect();
                Ok(ResolvedValue::list(objects))
            }
            Link::Objects(objects) => Ok(ResolvedValue::list(
                objects.iter().map(|o| ResolvedValue::object(Obj { ctx, object: o.clone() })).collect::<Vec<_>>(),
            )),
            Link::Connection { type_name, nodes } => {
                let args = serde_json::to_value(info.arguments()).unwrap_or(Value::Null);
                let mut kept = Vec::new();
                for entity in nodes {
                    let Some(node) = Obj::load(ctx, entity) else { continue };
                    let filter = args.get("filter").and_then(Value::as_object);
                    if filter.map_or(Ok(true), |f| self.matches(&node.object, f))? {
                        kept.push(entity.clone());
                    }
                }
                // Connections answer 50 nodes unless `first` says otherwise (the SDL's
                // "Defaults to 50").
                let first = args.get("first").and_then(Value::as_u64).map_or(50, |n| n as usize);
                let has_next_page = kept.len() > first;
                kept.truncate(first);
                let connection = Obj0::new(*type_name)
                    .link("nodes", Link::List(kept))
                    .one("pageInfo", Some(EntityRef::PageInfo { has_next_page }));
                Ok(ResolvedValue::object(Obj { ctx, object: connection }))
            }
        }
    }

    /// `filter: {field: {eq | neq | in | nin: …}}` over the node's leaves.
    fn matches(&self, node: &Obj0, filter: &Map<String, Value>) -> Result<bool, FieldError> {
        for (field, comparator) in filter {
            let Some(actual) = node.leaves.get(field) else {
                return Err(self.ctx.not_modeled(&format!("{} filter", node.type_name), field));
            };
            for (op, wanted) in comparator.as_object().into_iter().flatten() {
                let list = || wanted.as_array().cloned().unwrap_or_default();
                let ok = match op.as_str() {
                    "eq" => actual == wanted,
                    "neq" => actual != wanted,
                    "in" => list().contains(actual),
                    "nin" => !list().contains(actual),
                    _ => return Err(self.ctx.not_modeled("comparator", op)),
                };
                if !ok {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }
}

impl ObjectValue for Obj<'_, '_> {
    fn type_name(&self) -> &str {
        &self.object.type_name
    }

    fn resolve_field<'r>(&'r self, info: &'r ResolveInfo<'r>) -> Result<ResolvedValue<'r>, FieldError> {
        let name = info.field_name();
        match self.object.leaves.get(name) {
            // A list of scalars (`labelIds`) resolves item by item.
            Some(Value::Array(items)) if info.field_definition().ty.is_list() => {
                return Ok(ResolvedValue::list(
                    items.iter().map(|v| ResolvedValue::leaf(v.clone())).collect::<Vec<_>>(),
                ))
            }
            Some(value) => return Ok(ResolvedValue::leaf(value.clone())),
            None => {}
        }
        match self.object.links.iter().find(|(n, _)| *n == name) {
            Some((_, link)) => self.follow(link, info),
            None => Err(self.ctx.not_modeled(&self.object.type_name, name)),
        }
    }
}
