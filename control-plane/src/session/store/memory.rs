//! An in-memory SQLite behind [`SqlExec`], for the session's parts in native tests: the same
//! schema and statements as the Durable Object's storage.

use rusqlite::types::{Value, ValueRef};
use worker::Result;

use super::sql::store_error;
use super::{Row, SqlExec, SqlValue, Store};

/// A Durable Object's statement takes at most this many bound parameters (Cloudflare's limits);
/// SQLite itself takes more, so the tests hold the store to the smaller number.
const MAX_BOUND_PARAMETERS: usize = 100;

pub struct MemorySql(rusqlite::Connection);

impl Default for MemorySql {
    fn default() -> Self {
        Self(rusqlite::Connection::open_in_memory().expect("in-memory SQLite"))
    }
}

impl SqlExec for MemorySql {
    fn query(&self, sql: &str, args: Vec<SqlValue>) -> Result<Vec<Row>> {
        if args.len() > MAX_BOUND_PARAMETERS {
            return Err(store_error(format!(
                "{} bound parameters; a Durable Object allows {MAX_BOUND_PARAMETERS}",
                args.len()
            )));
        }
        let mut statement = self.0.prepare(sql).map_err(|e| store_error(format!("{e}: {sql}")))?;
        let params: Vec<Value> = args
            .into_iter()
            .map(|v| match v {
                SqlValue::Null => Value::Null,
                SqlValue::Int(i) => Value::Integer(i),
                SqlValue::Real(f) => Value::Real(f),
                SqlValue::Text(t) => Value::Text(t),
            })
            .collect();
        let columns = statement.column_count();
        let mut rows = statement.query(rusqlite::params_from_iter(params)).map_err(store_error)?;
        let mut out = vec![];
        while let Some(row) = rows.next().map_err(store_error)? {
            let mut values = Vec::with_capacity(columns);
            for i in 0..columns {
                values.push(match row.get_ref(i).map_err(store_error)? {
                    ValueRef::Null | ValueRef::Blob(_) => SqlValue::Null,
                    ValueRef::Integer(i) => SqlValue::Int(i),
                    ValueRef::Real(f) => SqlValue::Real(f),
                    ValueRef::Text(t) => SqlValue::Text(String::from_utf8_lossy(t).into_owned()),
                });
            }
            out.push(Row(values));
        }
        Ok(out)
    }
}

/// A store over a fresh in-memory SQLite with the session schema.
pub fn store() -> Store<MemorySql> {
    let store = Store::new(MemorySql::default());
    store.create_schema().expect("schema");
    store
}
