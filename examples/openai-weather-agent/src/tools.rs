//! The agent's tools, as in the tutorial: `calculator` and `weather`.
//!
//! A [`Tool`] is what Strands' `@tool` decorator produces: a name, a description and a JSON
//! schema the model sees, and a function the agent loop calls with the model's arguments.

use serde_json::{Value, json};

use crate::calculator;

/// A function the model may call.
pub trait Tool: Send + Sync + std::fmt::Debug {
    /// The name the model calls the tool by (`[a-zA-Z0-9_-]{1,64}`).
    fn name(&self) -> &str;
    /// What the tool does, for the model.
    fn description(&self) -> &str;
    /// The JSON schema of the tool's arguments (an `object` schema).
    fn parameters(&self) -> Value;
    /// Runs the tool on the model's arguments. An `Err` is reported to the model as the tool
    /// result (prefixed with `Error:`), so it can correct itself, as Strands does.
    fn call(&self, arguments: &Value) -> Result<String, String>;
}

/// `weather`: "Get weather" — a dummy implementation that always answers `sunny`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Weather;

impl Tool for Weather {
    fn name(&self) -> &str {
        "weather"
    }
    fn description(&self) -> &str {
        "Get weather"
    }
    fn parameters(&self) -> Value {
        json!({"type": "object", "properties": {}, "required": []})
    }
    fn call(&self, _arguments: &Value) -> Result<String, String> {
        Ok("sunny".to_owned())
    }
}

/// `calculator`: evaluates a mathematical expression (see [`calculator::evaluate`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Calculator;

impl Tool for Calculator {
    fn name(&self) -> &str {
        "calculator"
    }
    fn description(&self) -> &str {
        "Calculate the result of a mathematical expression such as `2 * (3 + 4)`, `7 / 2`, \
         `2^10` or `sqrt(16)`. Supports + - * / % ^, parentheses, sqrt, cbrt, abs, ln, log, \
         log2, exp, sin, cos, tan, min, max, floor, round and the constants pi and e."
    }
    fn parameters(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "expression": {
                    "type": "string",
                    "description": "The mathematical expression to evaluate, e.g. `2 * 2`"
                }
            },
            "required": ["expression"]
        })
    }
    fn call(&self, arguments: &Value) -> Result<String, String> {
        let expression = arguments
            .get("expression")
            .and_then(Value::as_str)
            .ok_or_else(|| "missing string argument `expression`".to_owned())?;
        calculator::evaluate(expression).map_err(|e| e.to_string())
    }
}

/// The tutorial's two tools, `calculator` and `weather`.
pub fn default_tools() -> Vec<Box<dyn Tool>> {
    vec![Box::new(Calculator), Box::new(Weather)]
}
