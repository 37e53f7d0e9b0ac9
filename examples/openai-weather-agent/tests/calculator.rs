//! The `calculator` tool on its own: a table of expressions, as models and people write them.

use openai_weather_agent::calculator::{CalcError, evaluate, normalize};
use openai_weather_agent::tools::Calculator;
use rig_agent::tool::{RegisteredTool, ToolContext, tool_definition};
use serde_json::json;

#[test]
fn evaluates_a_table_of_expressions() {
    let table: &[(&str, &str)] = &[
        // plain arithmetic
        ("2*2", "4"),
        ("2 + 3 * 4", "14"),
        ("(2 + 3) * 4", "20"),
        ("7/2", "3.5"),
        ("1/3", "0.333333333333"),
        ("10 % 3", "1"),
        ("2^10", "1024"),
        ("2**10", "1024"),
        ("-5 + 2", "-3"),
        ("0.1 + 0.2", "0.3"),
        ("1.5e3 + .5", "1500.5"),
        ("123456789 * 1000", "123456789000"),
        // the tutorial's prompt, and typographic operators
        ("2×2", "4"),
        ("2 × 2", "4"),
        ("10÷4", "2.5"),
        ("3 − 1", "2"),
        ("6 ⋅ 7", "42"),
        ("2·3", "6"),
        // full-width and other scripts' digits, unicode spaces
        ("２×２", "4"),
        ("（１＋２）＊３", "9"),
        ("١٢ + ٣", "15"),
        ("३ × ४", "12"),
        ("𝟕 + 1", "8"),
        ("2\u{3000}+\u{00A0}2", "4"),
        // superscripts
        ("2²", "4"),
        ("3² + 4²", "25"),
        ("10³", "1000"),
        // functions and constants
        ("sqrt(16)", "4"),
        ("sqrt(2)", "1.41421356237"),
        ("abs(-3)", "3"),
        ("max(3, 9)", "9"),
        ("min(3, 9)", "3"),
        ("round(2.6)", "3"),
        ("floor(2.6)", "2"),
        ("log(1000)", "3"),
        ("log2(8)", "3"),
        ("ln(e)", "1"),
        ("pi", "3.14159265359"),
        ("π * 2", "6.28318530718"),
        ("sin(0)", "0"),
        ("cos(0)", "1"),
        // comparisons give booleans
        ("2 > 1", "true"),
    ];
    let mut failures = Vec::new();
    for (expr, expected) in table {
        match evaluate(expr) {
            Ok(got) if got == *expected => {}
            other => failures.push(format!("{expr:?}: expected {expected:?}, got {other:?}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn rejects_what_it_cannot_evaluate() {
    assert_eq!(evaluate("   "), Err(CalcError::Empty));
    assert!(matches!(evaluate("1/0"), Err(CalcError::NotFinite(_))));
    assert!(matches!(evaluate("2 +"), Err(CalcError::Invalid { .. })));
    assert!(matches!(evaluate("foo(1)"), Err(CalcError::Invalid { .. })));
    assert!(matches!(
        evaluate("\"text\""),
        Err(CalcError::Invalid { .. })
    ));
    assert!(matches!(evaluate("x = 3"), Err(CalcError::Invalid { .. })));
    assert_eq!(evaluate(&"1+".repeat(600)), Err(CalcError::TooLong));
}

#[test]
fn normalize_rewrites_to_ascii() {
    assert_eq!(normalize("２×３−１÷４"), "2*3-1/4");
    assert_eq!(normalize("2²"), "2^2");
    assert_eq!(normalize("2**3"), "2^3");
}

/// Through rig's own tool dispatch (what the agent loop runs): JSON arguments in, the text the
/// model reads out; a failure reaches the model with its message.
#[tokio::test]
async fn the_tool_reads_its_expression_argument() {
    let definition = tool_definition(&Calculator);
    assert_eq!(definition.name.to_string(), "calculator");
    assert_eq!(definition.parameters["required"], json!(["expression"]));

    let tool = RegisteredTool::from_tool(Calculator);
    let call = |args: serde_json::Value| {
        let tool = tool.clone();
        async move {
            tool.execute(args.to_string(), &mut ToolContext::new())
                .await
        }
    };
    let ok = call(json!({"expression": "2×2"})).await;
    assert!(ok.is_success());
    assert_eq!(ok.output().as_text(), Some("4"));

    let missing = call(json!({})).await;
    assert!(missing.is_error());
    assert!(
        missing.output().render().contains("expression"),
        "{}",
        missing.output().render()
    );

    let zero = call(json!({"expression": "1/0"})).await;
    assert!(zero.is_error());
    assert!(
        zero.output().render().contains("not a finite number"),
        "the model sees why: {}",
        zero.output().render()
    );
}
