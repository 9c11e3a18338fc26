//! The script engine: an allow-list. It is built from nothing (`Engine::new_raw`) with only
//! the language's arithmetic, logic, strings and their functions, arrays, maps and ranges, libm's float
//! functions and BioXen's own (`script::functions`); no clock, no sleep, no files, no
//! `eval`, no function pointers by name. Every function it can call is listed in
//! `docs/scripts.md` (a test compares the two), and a script is compiled and checked
//! before it runs: a call to anything else is refused at its line:column
//! (`sandbox::compile`), so an error surfaces before tick 0, not hours into a run.

use super::ScriptLimits;
use rhai::packages::{
    ArithmeticPackage, BasicArrayPackage, BasicIteratorPackage, BasicMapPackage, BasicStringPackage, LogicPackage,
    MoreStringPackage, Package,
};
use rhai::{AST, ASTNode, Engine, Expr, Stmt};
use std::collections::BTreeSet;

/// Keywords the evaluator itself answers, as calls: the ones a script may use.
const KEYWORDS: &[&str] = &["print", "debug", "type_of", "is_def_var", "is_def_fn"];

/// Symbols a script may not use: `eval`; `**` (its float form is the platform's `powf`;
/// `pow` is libm's); function pointers by name and their calls (a name in a string would
/// escape the check of calls before the run).
const DISABLED: &[&str] = &["eval", "**", "**=", "Fn", "call", "curry", "is_shared"];

/// An engine with only the allowed packages, libm's float functions and the limits;
/// BioXen's functions are registered on it afterwards.
pub(super) fn engine(limits: ScriptLimits) -> Engine {
    let mut engine = Engine::new_raw();
    for module in [
        ArithmeticPackage::new().as_shared_module(),
        LogicPackage::new().as_shared_module(),
        BasicStringPackage::new().as_shared_module(),
        MoreStringPackage::new().as_shared_module(),
        BasicArrayPackage::new().as_shared_module(),
        BasicMapPackage::new().as_shared_module(),
        BasicIteratorPackage::new().as_shared_module(),
    ] {
        engine.register_global_module(module);
    }
    for symbol in DISABLED {
        engine.disable_symbol(*symbol);
    }
    engine
        .set_max_operations(limits.operations)
        .set_max_call_levels(limits.call_levels)
        .set_max_string_size(limits.string_bytes)
        .set_max_array_size(limits.array_len)
        .set_max_map_size(limits.map_len)
        .set_max_expr_depths(64, 32);
    // `**` is disabled as an operator, but it is still a function a name could reach: make
    // its float forms libm's, like every float function a script has.
    engine.register_fn("**", |x: f64, y: f64| libm::pow(x, y));
    engine.register_fn("**", |x: f64, y: i64| libm::pow(x, y as f64));
    engine.register_fn("to_float", |x: i64| x as f64);
    engine.register_fn("to_int", |x: f64| x as i64);
    engine.register_fn("to_int", |x: i64| x);
    engine.register_fn("pow", |x: f64, y: f64| libm::pow(x, y));
    engine.register_fn("pow", |x: i64, y: i64| libm::pow(x as f64, y as f64));
    engine.register_fn("sqrt", |x: f64| libm::sqrt(x));
    engine.register_fn("exp", |x: f64| libm::exp(x));
    engine.register_fn("ln", |x: f64| libm::log(x));
    engine.register_fn("floor", |x: f64| libm::floor(x));
    engine.register_fn("round", |x: f64| libm::round(x));
    engine
}

/// The name of every function `engine` can call (operators, property getters and setters
/// included), sorted.
pub fn callable(engine: &Engine) -> BTreeSet<String> {
    engine
        .gen_fn_signatures(true)
        .iter()
        .filter_map(|s| s.split_once('(').map(|(name, _)| name.to_string()))
        .chain(KEYWORDS.iter().map(|k| k.to_string()))
        .collect()
}

/// Compiles `code` and checks every call in it — its own functions' bodies included —
/// against what `engine` can call; a call to anything else is an error at its place.
pub(super) fn compile(engine: &Engine, code: &str) -> Result<AST, Box<rhai::EvalAltResult>> {
    let ast = engine.compile(code)?;
    let allowed = callable(engine);
    let own: BTreeSet<&str> = ast.iter_functions().map(|f| f.name).collect();
    let mut refused = None;
    ast.walk(&mut |path: &[ASTNode]| {
        let call = match path.last() {
            Some(
                ASTNode::Expr(Expr::FnCall(f, pos) | Expr::MethodCall(f, pos)) | ASTNode::Stmt(Stmt::FnCall(f, pos)),
            ) => Some((f.name.as_str(), *pos)),
            _ => None,
        };
        if let Some((name, pos)) = call {
            // Operators are symbols, never identifiers: the language's own.
            let identifier = name.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_');
            if identifier && !allowed.contains(name) && !own.contains(name) {
                refused = Some(rhai::EvalAltResult::ErrorFunctionNotFound(name.to_string(), pos));
                return false;
            }
        }
        true
    });
    match refused {
        Some(e) => Err(Box::new(e)),
        None => Ok(ast),
    }
}
