//! Model tokens used through the model proxy, per `provider/model`.

use oi_session_core::model_proxy::usage::Usage;
use worker::Result;

use super::{SqlExec, Store};

impl<S: SqlExec> Store<S> {
    pub fn add_model_usage(&self, model: &str, usage: Usage) -> Result<()> {
        self.run(
            "INSERT INTO model_usage (model, requests, input_tokens, output_tokens) VALUES (?, 1, ?, ?)
             ON CONFLICT (model) DO UPDATE SET requests = requests + 1,
               input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens",
            vec![model.into(), usage.input_tokens.into(), usage.output_tokens.into()],
        )
    }

    /// `(model, requests, usage)` per model, by model name.
    pub fn model_usage(&self) -> Result<Vec<(String, u32, Usage)>> {
        let rows =
            self.rows("SELECT model, requests, input_tokens, output_tokens FROM model_usage ORDER BY model", vec![])?;
        rows.iter()
            .map(|r| {
                let usage = Usage { input_tokens: r.int(2)? as u64, output_tokens: r.int(3)? as u64 };
                Ok((r.text(0)?, r.int(1)? as u32, usage))
            })
            .collect()
    }
}
