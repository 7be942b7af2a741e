//! The one door to a session's SQLite. [`SqlExec`] is the Durable Object's storage in the
//! Worker and an in-memory SQLite in native tests (`store::memory`), so the same statements
//! run in both. Rows come back as positional values; no serde on the way out of storage.

use worker::{Error, Result, SqlStorage, SqlStorageValue};

/// A value bound to a statement or read from a row.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

impl From<i64> for SqlValue {
    fn from(v: i64) -> Self {
        SqlValue::Int(v)
    }
}

impl From<u64> for SqlValue {
    fn from(v: u64) -> Self {
        SqlValue::Int(v as i64)
    }
}

impl From<bool> for SqlValue {
    fn from(v: bool) -> Self {
        SqlValue::Int(v as i64)
    }
}

impl From<&str> for SqlValue {
    fn from(v: &str) -> Self {
        SqlValue::Text(v.to_string())
    }
}

impl From<String> for SqlValue {
    fn from(v: String) -> Self {
        SqlValue::Text(v)
    }
}

impl<T: Into<SqlValue>> From<Option<T>> for SqlValue {
    fn from(v: Option<T>) -> Self {
        v.map_or(SqlValue::Null, Into::into)
    }
}

pub fn store_error(e: impl std::fmt::Display) -> Error {
    Error::RustError(e.to_string())
}

/// One row: the selected columns in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub Vec<SqlValue>);

impl Row {
    fn at(&self, i: usize) -> Result<&SqlValue> {
        self.0.get(i).ok_or_else(|| store_error(format!("no column {i}")))
    }

    pub fn int(&self, i: usize) -> Result<i64> {
        self.opt_int(i)?.ok_or_else(|| store_error(format!("column {i} is NULL")))
    }

    pub fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        match self.at(i)? {
            SqlValue::Null => Ok(None),
            SqlValue::Int(v) => Ok(Some(*v)),
            SqlValue::Real(v) => Ok(Some(*v as i64)),
            SqlValue::Text(t) => Err(store_error(format!("column {i} is text {t:?}, not a number"))),
        }
    }

    pub fn text(&self, i: usize) -> Result<String> {
        self.opt_text(i)?.ok_or_else(|| store_error(format!("column {i} is NULL")))
    }

    pub fn opt_text(&self, i: usize) -> Result<Option<String>> {
        match self.at(i)? {
            SqlValue::Null => Ok(None),
            SqlValue::Text(t) => Ok(Some(t.clone())),
            other => Err(store_error(format!("column {i} is {other:?}, not text"))),
        }
    }
}

/// Runs SQL statements. Every statement of one synchronous turn commits together (the
/// Durable Object's storage coalesces them into one transaction).
pub trait SqlExec {
    /// Runs one statement with positional `?` arguments; returns its rows.
    fn query(&self, sql: &str, args: Vec<SqlValue>) -> Result<Vec<Row>>;

    /// Runs one statement for its effect.
    fn execute(&self, sql: &str, args: Vec<SqlValue>) -> Result<()> {
        self.query(sql, args).map(drop)
    }
}

impl SqlExec for SqlStorage {
    fn query(&self, sql: &str, args: Vec<SqlValue>) -> Result<Vec<Row>> {
        let args = args
            .into_iter()
            .map(|v| match v {
                SqlValue::Null => SqlStorageValue::Null,
                SqlValue::Int(i) => SqlStorageValue::Integer(i),
                SqlValue::Real(f) => SqlStorageValue::Float(f),
                SqlValue::Text(t) => SqlStorageValue::String(t),
            })
            .collect::<Vec<_>>();
        let cursor = self.exec(sql, Some(args))?;
        let mut rows = vec![];
        for row in cursor.raw() {
            let values = row?
                .into_iter()
                .map(|v| match v {
                    SqlStorageValue::Null => SqlValue::Null,
                    SqlStorageValue::Boolean(b) => SqlValue::Int(b as i64),
                    SqlStorageValue::Integer(i) => SqlValue::Int(i),
                    SqlStorageValue::Float(f) => SqlValue::Real(f),
                    SqlStorageValue::String(s) => SqlValue::Text(s),
                    SqlStorageValue::Blob(_) => SqlValue::Null,
                })
                .collect();
            rows.push(Row(values));
        }
        Ok(rows)
    }
}
