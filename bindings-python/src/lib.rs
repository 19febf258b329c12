//! `mspkit._native`: the Rust core for Python. The types here translate arguments,
//! actions and errors; every decision is the core's (mspkit-core).

mod actions;
mod aliases;
mod args;
mod client;
mod errors;
mod items;
mod options;

use pyo3::prelude::*;

#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(module)?;
    module.add_class::<client::PyClient>()?;
    module.add_class::<actions::PyRequest>()?;
    module.add_class::<actions::PySend>()?;
    module.add_class::<actions::PyWait>()?;
    module.add_class::<actions::PyEvent>()?;
    module.add_class::<actions::PyConnectionReport>()?;
    aliases::register(module)?;
    // The stub lists the public names itself; an `__all__` would have to be kept in step.
    if module.hasattr("__all__")? {
        module.delattr("__all__")?;
    }
    Ok(())
}
