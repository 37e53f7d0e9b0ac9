//! The `calculator` tool: real expression evaluation with [`evalexpr`].
//!
//! Models (and people) write `2×2`, `１０÷４`, `3 − 1` or `2²`; [`normalize`] turns that into
//! ASCII arithmetic first. Evaluation is done in floating point (so `7/2` is `3.5`, not the
//! integer division `evalexpr` would do on integer literals), with the functions people expect
//! (`sqrt`, `sin`, `ln`, `abs`, `min`, `max`, `round`, ...) and the constants `pi` and `e`.
//! The evaluation context is read-only: no assignments, no state between calls.

use evalexpr::{ContextWithMutableVariables, DefaultNumericTypes, HashMapContext, Value};

/// The longest expression the tool accepts, in characters.
pub const MAX_EXPRESSION_CHARS: usize = 1_000;

/// Why an expression could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalcError {
    /// The expression was empty (after normalisation).
    #[error("the expression is empty")]
    Empty,
    /// The expression is longer than [`MAX_EXPRESSION_CHARS`].
    #[error("the expression is longer than {MAX_EXPRESSION_CHARS} characters")]
    TooLong,
    /// `evalexpr` rejected or failed to evaluate the expression.
    #[error("cannot evaluate `{expression}`: {reason}")]
    Invalid {
        /// The normalised expression.
        expression: String,
        /// `evalexpr`'s explanation.
        reason: String,
    },
    /// The result is infinite or not a number (for example a division by zero).
    #[error("the result of `{0}` is not a finite number (division by zero?)")]
    NotFinite(String),
}

/// Evaluates an arithmetic expression and formats the result.
///
/// ```
/// use openai_weather_agent::calculator::evaluate;
/// assert_eq!(evaluate("2×2").unwrap(), "4");
/// assert_eq!(evaluate("7 ÷ 2").unwrap(), "3.5");
/// assert_eq!(evaluate("sqrt(16) + 2^3").unwrap(), "12");
/// ```
pub fn evaluate(expression: &str) -> Result<String, CalcError> {
    if expression.chars().count() > MAX_EXPRESSION_CHARS {
        return Err(CalcError::TooLong);
    }
    let normalized = normalize(expression);
    if normalized.trim().is_empty() {
        return Err(CalcError::Empty);
    }
    let prepared = prepare(&normalized);
    let value =
        evalexpr::eval_with_context(&prepared, &context()).map_err(|e| CalcError::Invalid {
            expression: normalized.clone(),
            reason: e.to_string(),
        })?;
    format_value(&normalized, value)
}

/// Rewrites typographic and non-ASCII arithmetic into plain ASCII:
/// `×`/`✕`/`·`/`⋅`/`∙` to `*`, `÷`/`∕` to `/`, `−`/`–`/`‐`/`﹣` to `-`, full-width forms
/// (`１２＋３`) to ASCII, decimal digits of any script (`٣`, `३`, `𝟕`) to `0`-`9`,
/// superscript digits (`2²`) to `^2`, `**` to `^`, and every kind of space to a plain space.
pub fn normalize(expression: &str) -> String {
    let mut out = String::with_capacity(expression.len());
    let mut in_superscript = false;
    for c in expression.chars() {
        if let Some(d) = superscript_digit(c) {
            if !in_superscript {
                out.push('^');
                in_superscript = true;
            }
            out.push(d);
            continue;
        }
        in_superscript = false;
        let mapped = match c {
            '×' | '✕' | '✖' | '·' | '⋅' | '∙' | '∗' => '*',
            '÷' | '∕' | '⁄' => '/',
            '−' | '–' | '‐' | '‑' | '‒' | '﹣' => '-',
            '﹢' => '+',
            '（' | '﹙' => '(',
            '）' | '﹚' => ')',
            // Full-width ASCII block: U+FF01..=U+FF5E maps onto U+0021..=U+007E.
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            c if c.is_whitespace() => ' ',
            c => decimal_digit(c).unwrap_or(c),
        };
        out.push(mapped);
    }
    out.replace("**", "^")
}

/// Zero code points of the Unicode decimal-digit (Nd) runs most likely to appear in text.
const DIGIT_ZEROS: &[u32] = &[
    0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66,
    0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
    0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
    0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6,
];

fn decimal_digit(c: char) -> Option<char> {
    let cp = c as u32;
    DIGIT_ZEROS
        .iter()
        .find(|&&zero| (zero..zero + 10).contains(&cp))
        .and_then(|&zero| char::from_digit(cp - zero, 10))
}

fn superscript_digit(c: char) -> Option<char> {
    Some(match c {
        '⁰' => '0',
        '¹' => '1',
        '²' => '2',
        '³' => '3',
        '⁴' => '4',
        '⁵' => '5',
        '⁶' => '6',
        '⁷' => '7',
        '⁸' => '8',
        '⁹' => '9',
        _ => return None,
    })
}

/// Makes every integer literal a float literal (`7/2` -> `7.0/2.0`) and qualifies the bare
/// function names models use (`sqrt(` -> `math::sqrt(`).
fn prepare(normalized: &str) -> String {
    let chars: Vec<char> = normalized.chars().collect();
    let mut out = String::with_capacity(normalized.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            // A number, unless it continues an identifier such as `log2` or `x1`.
            let in_ident = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
            let start = i;
            let mut is_float = false;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                is_float |= chars[i] == '.';
                i += 1;
            }
            // Exponent: 1e5, 2.5E-3
            if i < chars.len()
                && (chars[i] == 'e' || chars[i] == 'E')
                && !in_ident
                && chars.get(i + 1).is_some_and(|n| {
                    n.is_ascii_digit()
                        || ((*n == '+' || *n == '-')
                            && chars.get(i + 2).is_some_and(char::is_ascii_digit))
                })
            {
                is_float = true;
                i += 2;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
            }
            let literal: String = chars[start..i].iter().collect();
            if literal.starts_with('.') {
                out.push('0');
            }
            out.push_str(&literal);
            if !is_float && !in_ident {
                out.push_str(".0");
            }
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == ':')
            {
                i += 1;
            }
            let ident: String = chars[start..i].iter().collect();
            let qualified = match ident.to_ascii_lowercase().as_str() {
                "sqrt" | "cbrt" | "ln" | "log2" | "log10" | "exp" | "exp2" | "sin" | "cos"
                | "tan" | "asin" | "acos" | "atan" | "atan2" | "sinh" | "cosh" | "tanh" | "abs"
                | "hypot" | "pow" => format!("math::{}", ident.to_ascii_lowercase()),
                // evalexpr's `math::log` takes (value, base); a one-argument `log` is log10.
                "log" => "math::log10".to_owned(),
                "pi" | "π" => "pi".to_owned(),
                _ => ident,
            };
            out.push_str(&qualified);
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

fn context() -> HashMapContext<DefaultNumericTypes> {
    let mut ctx = HashMapContext::<DefaultNumericTypes>::new();
    // Setting a float constant on a fresh context cannot fail.
    let _ = ctx.set_value("pi".into(), Value::Float(std::f64::consts::PI));
    let _ = ctx.set_value("e".into(), Value::Float(std::f64::consts::E));
    ctx
}

fn format_value(expression: &str, value: Value<DefaultNumericTypes>) -> Result<String, CalcError> {
    match value {
        Value::Float(f) => format_float(f).ok_or_else(|| CalcError::NotFinite(expression.into())),
        Value::Int(i) => Ok(i.to_string()),
        Value::Boolean(b) => Ok(b.to_string()),
        Value::Tuple(items) => {
            let parts = items
                .into_iter()
                .map(|v| format_value(expression, v))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(format!("({})", parts.join(", ")))
        }
        Value::String(_) | Value::Empty => Err(CalcError::Invalid {
            expression: expression.into(),
            reason: "the expression does not produce a number".into(),
        }),
    }
}

/// Formats a float with at most 12 significant digits, so `0.1 + 0.2` is `0.3`,
/// and integral values without a fraction (`4`, not `4.0`).
fn format_float(f: f64) -> Option<String> {
    if !f.is_finite() {
        return None;
    }
    let rounded: f64 = format!("{f:.11e}").parse().unwrap_or(f);
    if rounded == rounded.trunc() && rounded.abs() < 1e15 {
        // Integral and exactly representable: print without a fraction (and without `-0`).
        Some(format!("{}", rounded as i64))
    } else {
        Some(format!("{rounded}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepare_floats_integer_literals_but_not_identifiers() {
        assert_eq!(prepare("7/2"), "7.0/2.0");
        assert_eq!(prepare("log2(8)"), "math::log2(8.0)");
        assert_eq!(prepare("1.5e3+.5"), "1.5e3+0.5");
        assert_eq!(prepare("sqrt(2)"), "math::sqrt(2.0)");
    }
}
