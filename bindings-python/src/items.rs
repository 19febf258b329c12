//! A page's records (JSON text) straight into Python objects in one pass: the parser's
//! visitor builds dicts, lists, strs, ints and floats as it reads, with no tree in
//! between. Field names repeat on every record of every page, so each name is made into
//! a Python str once and shared (as json.loads does within one document, but across
//! pages).

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex};

use mspkit_core::Items;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyList, PyString};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// Field names kept at most; past it new names are made per use (records with
/// data-driven keys must not grow the cache without bound).
const MAX_KEYS: usize = 4096;
/// Longer names are not worth keeping.
const MAX_KEY_LEN: usize = 64;
/// Objects nested deeper, or fields further along, get no positional guess.
const MAX_SHAPE_DEPTH: usize = 8;
const MAX_SHAPE_LEN: usize = 256;

/// FxHash: field names are short and not attacker-chosen in a way that matters for a
/// bounded cache, so a fast multiplicative hash beats SipHash here.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Python strs for field names, shared by every page of a client.
#[derive(Default)]
pub struct KeyCache {
    names: HashMap<Box<str>, Py<PyString>, BuildHasherDefault<FxHasher>>,
    /// The field names of the last object seen at each nesting depth, in order: records
    /// of a page share one shape, so the name at a position is usually the one there
    /// last time, and one comparison replaces the hash lookup.
    shapes: Vec<Vec<(Box<str>, Py<PyString>)>>,
}

/// The cache as the client and its events share it.
pub type SharedKeys = Arc<Mutex<KeyCache>>;

impl KeyCache {
    fn get<'py>(&mut self, py: Python<'py>, name: &str) -> Bound<'py, PyString> {
        if let Some(known) = self.names.get(name) {
            return known.bind(py).clone();
        }
        let made = PyString::new(py, name);
        if name.len() <= MAX_KEY_LEN && self.names.len() < MAX_KEYS {
            self.names.insert(name.into(), made.clone().unbind());
        }
        made
    }

    /// The str for field `name`, the `position`th of an object at nesting `depth`.
    fn field<'py>(
        &mut self,
        py: Python<'py>,
        depth: usize,
        position: usize,
        name: &str,
    ) -> Bound<'py, PyString> {
        if let Some((text, known)) = self.shapes.get(depth).and_then(|s| s.get(position)) {
            if **text == *name {
                return known.bind(py).clone();
            }
        }
        let key = self.get(py, name);
        if depth < MAX_SHAPE_DEPTH && position < MAX_SHAPE_LEN && name.len() <= MAX_KEY_LEN {
            if self.shapes.len() <= depth {
                self.shapes.resize_with(depth + 1, Vec::new);
            }
            let shape = &mut self.shapes[depth];
            let entry = (Box::from(name), key.clone().unbind());
            if position < shape.len() {
                shape[position] = entry;
            } else if position == shape.len() {
                shape.push(entry);
            }
        }
        key
    }
}

/// A page's records as a list of Python objects. `keys` is the client's cache; if another
/// thread holds it, a private one is used for this page.
pub fn to_python<'py>(
    py: Python<'py>,
    items: &Items,
    keys: &SharedKeys,
) -> PyResult<Bound<'py, PyList>> {
    let mut private = KeyCache::default();
    let mut shared = keys.try_lock();
    let keys = match shared.as_deref_mut() {
        Ok(shared) => shared,
        Err(_) => &mut private,
    };
    convert(py, items.as_json(), keys).or_else(|first| {
        // Valid JSON text serde_json refuses (a lone surrogate escape, a number beyond
        // f64) arrives as sent; the core repairs it, only for the pages that need it.
        let repaired = items.repaired();
        if repaired.as_json() == items.as_json() {
            return Err(first);
        }
        convert(py, repaired.as_json(), keys)
    })
}

fn convert<'py>(py: Python<'py>, json: &str, keys: &mut KeyCache) -> PyResult<Bound<'py, PyList>> {
    let mut builder = Builder {
        py,
        keys,
        depth: 0,
        failure: None,
    };
    let mut parser = serde_json::Deserializer::from_str(json);
    let parsed = ValueSeed(&mut builder)
        .deserialize(&mut parser)
        .and_then(|value| parser.end().map(|_| value));
    match (parsed, builder.failure.take()) {
        (_, Some(python_error)) => Err(python_error),
        (Ok(value), None) => value.cast_into::<PyList>().map_err(|_| not_a_list()),
        (Err(parse_error), None) => Err(crate::errors::to_pyerr(mspkit_core::Error::bad_response(
            format!("The page's records could not be read as JSON ({parse_error})"),
        ))),
    }
}

fn not_a_list() -> PyErr {
    crate::errors::to_pyerr(mspkit_core::Error::bad_response(
        "The page's records are not a JSON array",
    ))
}

struct Builder<'k, 'py> {
    py: Python<'py>,
    keys: &'k mut KeyCache,
    /// Objects open around the current value.
    depth: usize,
    /// A Python error met while building (the parser only carries text errors).
    failure: Option<PyErr>,
}

impl Builder<'_, '_> {
    fn fail<E: de::Error>(&mut self, error: PyErr) -> E {
        self.failure = Some(error);
        E::custom("a Python object could not be built")
    }
}

/// Any JSON value.
struct ValueSeed<'b, 'k, 'py>(&'b mut Builder<'k, 'py>);

/// An object's field name, and where it stands: (depth, position).
struct KeySeed<'b, 'k, 'py>(&'b mut Builder<'k, 'py>, usize);

impl<'de, 'py> DeserializeSeed<'de> for ValueSeed<'_, '_, 'py> {
    type Value = Bound<'py, PyAny>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, 'py> Visitor<'de> for ValueSeed<'_, '_, 'py> {
    type Value = Bound<'py, PyAny>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(self.0.py.None().into_bound(self.0.py))
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.visit_unit()
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(PyBool::new(self.0.py, v).to_owned().into_any())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into_pyobject(self.0.py)
            .map(Bound::into_any)
            .unwrap_or_else(|e| match e {}))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into_pyobject(self.0.py)
            .map(Bound::into_any)
            .unwrap_or_else(|e| match e {}))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(PyFloat::new(self.0.py, v).into_any())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(PyString::new(self.0.py, v).into_any())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut elements = Vec::new();
        while let Some(element) = access.next_element_seed(ValueSeed(&mut *self.0))? {
            elements.push(element);
        }
        match PyList::new(self.0.py, elements) {
            Ok(list) => Ok(list.into_any()),
            Err(e) => Err(self.0.fail(e)),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let dict = PyDict::new(self.0.py);
        let mut position = 0;
        while let Some(key) = access.next_key_seed(KeySeed(&mut *self.0, position))? {
            self.0.depth += 1;
            let value = access.next_value_seed(ValueSeed(&mut *self.0));
            self.0.depth -= 1;
            if let Err(e) = dict.set_item(key, value?) {
                return Err(self.0.fail(e));
            }
            position += 1;
        }
        Ok(dict.into_any())
    }
}

impl<'de, 'py> DeserializeSeed<'de> for KeySeed<'_, '_, 'py> {
    type Value = Bound<'py, PyString>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de, 'py> Visitor<'de> for KeySeed<'_, '_, 'py> {
    type Value = Bound<'py, PyString>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let KeySeed(builder, position) = self;
        Ok(builder.keys.field(builder.py, builder.depth, position, v))
    }
}
