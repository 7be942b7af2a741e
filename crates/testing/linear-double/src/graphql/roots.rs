//! The root objects: `Query` (`issue`, `agentSession`, `comment`, `viewer`) and `Mutation`
//! (`agentActivityCreate`, `agentSessionUpdate`, `commentCreate`, `issueUpdate`), the fields
//! the contract's SDL keeps. Mutations change the state as the executor reaches them (in order,
//! as GraphQL runs mutation fields serially); a refused mutation is a contract violation.

use apollo_compiler::resolvers::{FieldError, ObjectValue, ResolveInfo, ResolvedValue};
use serde_json::Value;

use super::errors::LinearError;
use super::objects::{Ctx, EntityRef, Obj, Obj0};
use super::{activity, mutations};

pub(crate) struct Root<'c, 'a> {
    pub ctx: &'c Ctx<'a>,
    pub mutation: bool,
}

impl Root<'_, '_> {
    fn query(&self, field: &str, args: &Value) -> Result<EntityRef, LinearError> {
        let inner = self.ctx.inner.borrow();
        let id = args["id"].as_str().unwrap_or_default();
        match field {
            "issue" => {
                inner.issue(id).map(|i| EntityRef::Issue(i.id.clone())).ok_or_else(|| LinearError::not_found("Issue"))
            }
            "agentSession" => inner
                .session(id)
                .map(|_| EntityRef::Session(id.to_string()))
                .ok_or_else(|| LinearError::not_found("AgentSession")),
            "comment" if args["hash"].is_string() => {
                Err(LinearError::invalid_input("linear-double does not model comment(hash:); pass id"))
            }
            "comment" => inner
                .comment(id)
                .map(|_| EntityRef::Comment(id.to_string()))
                .ok_or_else(|| LinearError::not_found("Comment")),
            "viewer" => Ok(EntityRef::User(self.ctx.viewer_id.clone())),
            other => Err(LinearError::invalid_input(format!("linear-double does not model Query.{other}"))),
        }
    }

    fn mutate(&self, field: &str, args: &Value) -> Result<Obj0, LinearError> {
        let mut inner = self.ctx.inner.borrow_mut();
        let viewer = self.ctx.viewer_id.as_str();
        let (id, input) = (args["id"].as_str().unwrap_or_default(), &args["input"]);
        match field {
            "agentActivityCreate" => activity::create(&mut inner, viewer, input),
            "agentSessionUpdate" => mutations::agent_session_update(&mut inner, viewer, id, input),
            "commentCreate" => mutations::comment_create(&mut inner, viewer, input),
            "issueUpdate" => mutations::issue_update(&mut inner, id, input),
            other => Err(LinearError::invalid_input(format!("linear-double does not model Mutation.{other}"))),
        }
    }
}

impl ObjectValue for Root<'_, '_> {
    fn type_name(&self) -> &str {
        if self.mutation {
            "Mutation"
        } else {
            "Query"
        }
    }

    fn resolve_field<'r>(&'r self, info: &'r ResolveInfo<'r>) -> Result<ResolvedValue<'r>, FieldError> {
        let field = info.field_name();
        let args = serde_json::to_value(info.arguments()).unwrap_or(Value::Null);
        if self.mutation {
            match self.mutate(field, &args) {
                Ok(object) => Ok(ResolvedValue::object(Obj { ctx: self.ctx, object })),
                Err(error) => Err(self.ctx.refuse(field, error)),
            }
        } else {
            let entity = self.query(field, &args).map_err(|error| self.ctx.fail(error, None))?;
            let object =
                Obj::load(self.ctx, &entity).ok_or_else(|| self.ctx.fail(LinearError::not_found(field), None))?;
            Ok(ResolvedValue::object(object))
        }
    }
}
