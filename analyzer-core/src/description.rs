//! [`Description`]: what a request asks, in Packetbeat's top-level fields.

use std::borrow::Cow;

/// A request's `method`, `resource` and `query`, as Packetbeat publishes
/// them at the top level of an event (e.g. Redis: `SET`, `key3`,
/// `set key3 me`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Description<'a> {
    /// The command or verb, e.g. `SET`.
    pub method: Option<Cow<'a, str>>,
    /// What it acts on, e.g. a key.
    pub resource: Option<Cow<'a, str>>,
    /// The request as text, e.g. `set key3 me`.
    pub query: Option<Cow<'a, str>>,
    /// What `event.action` names (`<name>.<action in lower case>`) when it
    /// is not the method: Memcache publishes its command type
    /// (`memcache.load`) and no method. `None`: the method.
    pub action: Option<Cow<'a, str>>,
}

impl<'a> Description<'a> {
    /// A description with a method only.
    pub fn method(method: impl Into<Cow<'a, str>>) -> Self {
        Description {
            method: Some(method.into()),
            ..Description::default()
        }
    }

    /// Sets the resource.
    pub fn with_resource(mut self, resource: impl Into<Cow<'a, str>>) -> Self {
        self.resource = Some(resource.into());
        self
    }

    /// Sets the query.
    pub fn with_query(mut self, query: impl Into<Cow<'a, str>>) -> Self {
        self.query = Some(query.into());
        self
    }

    /// A description with an action only (`event.action`), no method.
    pub fn action(action: impl Into<Cow<'a, str>>) -> Self {
        Description {
            action: Some(action.into()),
            ..Description::default()
        }
    }

    /// The word `event.action` is made of: the action, else the method.
    pub fn action_word(&self) -> Option<&str> {
        self.action.as_deref().or(self.method.as_deref())
    }
}
