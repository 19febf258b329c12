//! The type aliases of `_native.pyi` also exist at run time, so `mspkit._native.Headers`
//! and friends can be used in annotations evaluated at run time (and the stub matches
//! the module).

use pyo3::prelude::*;
use pyo3::types::PyDict;

const ALIASES: &std::ffi::CStr = cr#"
from typing import Any, Literal, Mapping, Sequence, Tuple, Union
Action = Union[Send, Wait, Event]
Headers = Union[Sequence[Tuple[str, str]], Mapping[str, str]]
Body = Union[str, bytes, bytearray, memoryview, None]
FilterArg = Union[str, Sequence[Mapping[str, Any]], None]
Windows = Mapping[str, Sequence[Tuple[int, int]]]
FailureGuardArg = Union[Literal["documented", "announced", "off"], Sequence[Tuple[int, int]]]
"#;

const NAMES: [&str; 6] = [
    "Action",
    "Headers",
    "Body",
    "FilterArg",
    "Windows",
    "FailureGuardArg",
];

/// Adds the aliases to `module` (after its classes, which `Action` names).
pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    let scope = PyDict::new(py);
    for class in ["Send", "Wait", "Event"] {
        scope.set_item(class, module.getattr(class)?)?;
    }
    py.run(ALIASES, Some(&scope), None)?;
    for name in NAMES {
        if let Some(alias) = scope.get_item(name)? {
            module.add(name, alias)?;
        }
    }
    Ok(())
}
